// Decision events for the alert tests, made the way the filters make them: the reference policy's
// engine decides for a fictional person, and `decisionEvent` records it. The catalogue holds
// reserved names only.
import { CatalogueBuilder } from '../../src/catalog/index.ts';
import { decisionEvent, PolicyEngine, type DecisionEvent, type Person } from '../../src/engine/index.ts';
import type { Notifier, NotificationInput, NotifyResult } from '../../src/notify/index.ts';
import { referencePolicy } from '../notify/fixture.ts';

const builder = new CatalogueBuilder();
builder.add('harm.example', ['hedgerow/self-harm'], 'test');
builder.add('adult.example', ['hedgerow/adult'], 'test');
builder.add('legal.example', ['custom/iwf'], 'test');
builder.add('search.example', ['hedgerow/search-engine'], 'test');
builder.add('social.example', ['hedgerow/social-networking'], 'test');
export const engine = new PolicyEngine({ policy: referencePolicy(), catalogue: builder.build() });

export const mabel: Person = { id: 'mabel.foxglove', role: 'pupil', groups: ['year-6', 'class-6s'] };
export const stanley: Person = { id: 'stanley.burdock', role: 'pupil', groups: ['year-6', 'class-6s'] };
export const desmond: Person = { id: 'desmond.nightingale', role: 'teacher', groups: ['class-4n'] };
export const guest: Person = { role: 'guest' };

let counter = 0;

/** The event a filter records when `person` asks for `url` at `at` (with the search term it saw). */
export function eventFor(person: Person, url: string, at: number, extra: { searchTerm?: string; clientIp?: string; device?: string } = {}): DecisionEvent {
  counter += 1;
  return decisionEvent({
    point: 'proxy',
    id: `ev-${counter}-${at}`,
    at,
    person,
    clientIp: extra.clientIp ?? '10.20.6.3',
    decision: engine.decide({ person, url, at }),
    url,
    searchTerm: extra.searchTerm ?? null,
    device: extra.device ?? null,
  });
}

/** Stands for the notifier: keeps what it is asked to send; `failNext` makes the next calls fail. */
export class RecordingNotifier implements Notifier {
  readonly sent: NotificationInput[] = [];
  private readonly byKey = new Map<string, string>();
  failNext = 0;
  async notify(input: NotificationInput): Promise<NotifyResult> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('the store is not answering');
    }
    if (input.once && this.byKey.has(input.once)) return { id: this.byKey.get(input.once)!, recipients: 1, repeated: true };
    this.sent.push(input);
    const id = `n-${this.sent.length}`;
    if (input.once) this.byKey.set(input.once, id);
    return { id, recipients: 1 };
  }
}
