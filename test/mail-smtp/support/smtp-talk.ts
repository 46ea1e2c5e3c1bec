// A line-at-a-time SMTP client for protocol tests: send a command, read the whole (multi-line)
// reply. Exact control over what goes on the wire, which a mail library hides.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface Reply {
  code: number;
  lines: string[];
  /** every line joined, codes included */
  text: string;
}

export class SmtpTalk {
  private socket: Socket | TLSSocket;
  private buffer = '';
  private waiting: Array<(reply: Reply) => void> = [];
  private collected: string[] = [];
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.feed(chunk));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const at = this.buffer.indexOf('\r\n');
      if (at === -1) return;
      const line = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 2);
      this.collected.push(line);
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        const lines = this.collected;
        this.collected = [];
        const next = this.waiting.shift();
        next?.({ code: Number(line.slice(0, 3)), lines, text: lines.join('\n') });
      }
    }
  }

  static open(port: number, host = '127.0.0.1'): Promise<{ talk: SmtpTalk; greeting: Reply }> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host });
      socket.once('error', reject);
      const talk = new SmtpTalk(socket);
      talk.waiting.push((greeting) => resolve({ talk, greeting }));
    });
  }

  reply(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('connection closed'));
      this.waiting.push(resolve);
      this.socket.once('close', () => reject(new Error('connection closed before a reply')));
    });
  }

  send(line: string): Promise<Reply> {
    const reply = this.reply();
    this.socket.write(`${line}\r\n`);
    return reply;
  }

  /** DATA, the message (dot-stuffed here), the final dot; returns the reply to the message. */
  async data(message: string | Buffer): Promise<Reply> {
    const go = await this.send('DATA');
    if (go.code !== 354) return go;
    const text = (Buffer.isBuffer(message) ? message.toString('latin1') : message).replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    const reply = this.reply();
    this.socket.write(`${text}${text.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1');
    return reply;
  }

  async startTls(servername = 'filter.test'): Promise<void> {
    const go = await this.send('STARTTLS');
    if (go.code !== 220) throw new Error(`STARTTLS refused: ${go.text}`);
    const plain = this.socket as Socket;
    plain.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain, servername, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  get encrypted(): boolean {
    return (this.socket as TLSSocket).encrypted === true;
  }

  async quit(): Promise<void> {
    if (this.closed) return;
    await this.send('QUIT').catch(() => undefined);
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
