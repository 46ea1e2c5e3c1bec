// Hedgerow's own category vocabulary and the default translation from list categories to it.
// A category name says what a site is, never what to do with it: the policy decides.

export interface StandardCategory {
  title: string;
  description: string;
}

export const standardCategories: Readonly<Record<string, StandardCategory>> = Object.freeze({
  'social-networking': { title: 'Social networking', description: 'profiles, friends or followers, feeds and messaging between members' },
  forums: { title: 'Forums', description: 'discussion boards and question-and-answer communities' },
  'media-sharing': { title: 'Media sharing', description: 'sites where members upload photos, video or audio for others to see' },
  'micro-blogging': { title: 'Micro-blogging', description: 'short public posts to followers' },
  chat: { title: 'Chat', description: 'chat rooms and chat with strangers, including random video chat' },
  messaging: { title: 'Messaging', description: 'private messaging between known contacts' },
  'video-audio': { title: 'Video and audio', description: 'streaming video, music, radio and podcasts' },
  'photo-search': { title: 'Image search', description: 'search engines for pictures' },
  adult: { title: 'Adult', description: 'pornography and sexually explicit material' },
  'mixed-adult': { title: 'Mixed adult', description: 'sites mixing adult and general content' },
  'intimate-apparel': { title: 'Lingerie and swimwear', description: 'lingerie and swimwear shops and galleries' },
  'sex-education': { title: 'Sex education', description: 'sexual health and relationships education' },
  dating: { title: 'Dating', description: 'dating and meeting sites' },
  hate: { title: 'Hate', description: 'content promoting hatred of people for who they are' },
  criminal: { title: 'Criminal activity', description: 'promotion of or instruction in crime' },
  tasteless: { title: 'Tasteless', description: 'gore, shock and gross-out content' },
  violence: { title: 'Violence', description: 'content promoting or glorifying violence or aggression' },
  weapons: { title: 'Weapons', description: 'weapons, explosives and dangerous materials' },
  drugs: { title: 'Drugs', description: 'illegal drugs and their use' },
  'alcohol-tobacco': { title: 'Alcohol, tobacco and vaping', description: 'sale or promotion of alcohol, tobacco and vaping products' },
  hacking: { title: 'Hacking', description: 'intrusion tools and instruction, denial-of-service services' },
  spyware: { title: 'Spyware', description: 'stalkerware and covert monitoring software' },
  malware: { title: 'Malware', description: 'sites distributing malicious software, including ransomware and cryptojacking' },
  phishing: { title: 'Phishing', description: 'sites imitating others to steal credentials or money' },
  fraud: { title: 'Fraud', description: 'scams and fraudulent shops and offers' },
  proxy: { title: 'Proxies and anonymisers', description: 'web proxies, redirectors and anonymisers that get around filtering' },
  translator: { title: 'Translators', description: 'online translation services (which can also fetch other pages)' },
  vpn: { title: 'VPN services', description: 'virtual private networks and tunnelling services' },
  doh: { title: 'DNS over HTTPS', description: 'encrypted DNS resolvers that bypass the school DNS filter' },
  'remote-access': { title: 'Remote access', description: 'remote desktop and remote control services' },
  'dynamic-dns': { title: 'Dynamic DNS', description: 'dynamic DNS hostnames, often used to reach home servers and proxies' },
  'url-shortener': { title: 'URL shorteners', description: 'services that hide the destination of a link' },
  gambling: { title: 'Gambling', description: 'betting, casinos, lotteries and gambling-like games' },
  'self-harm': { title: 'Self-harm', description: 'promotion of self-harm, suicide or eating disorders' },
  extremism: { title: 'Extremism', description: 'extremist and radicalising content, including cults' },
  'search-engine': { title: 'Search engines', description: 'web search' },
  education: { title: 'Education', description: 'learning platforms, reference and school services' },
  webmail: { title: 'Webmail', description: 'web-based email' },
  banking: { title: 'Banking and finance', description: 'banks, payments and personal finance (private)' },
  health: { title: 'Health', description: 'health services and information (private)' },
  news: { title: 'News', description: 'news and current affairs' },
  shopping: { title: 'Shopping', description: 'online shops and auctions' },
  games: { title: 'Games', description: 'online games and gaming platforms' },
  'file-sharing': { title: 'File sharing', description: 'file hosting and download sites' },
  piracy: { title: 'Piracy', description: 'copyright infringement, warez and torrents' },
  advertising: { title: 'Advertising', description: 'advertising networks' },
  tracking: { title: 'Tracking', description: 'analytics, telemetry and tracking services' },
  cryptocurrency: { title: 'Cryptocurrency', description: 'cryptocurrency exchanges and wallets' },
  cheating: { title: 'Cheating', description: 'tools and services for cheating at school work or tests' },
  'misinformation': { title: 'Misinformation', description: 'sites publishing false news' },
  blogs: { title: 'Blogs', description: 'blogs and blog hosting' },
  sports: { title: 'Sports', description: 'sport news and clubs' },
  jobs: { title: 'Jobs', description: 'job search and recruitment' },
  'ai-tools': { title: 'AI tools', description: 'generative AI chatbots and tools' },
  religion: { title: 'Religion', description: 'religious organisations' },
  'allow-list': { title: 'Allow-list', description: 'sites a list publisher vouches for (UT1 liste_blanche, liste_bu); never a block reason by default' },
} satisfies Record<string, StandardCategory>);

const ut1: Record<string, readonly string[]> = {
  adult: ['adult'],
  agressif: ['violence', 'hate'],
  ai: ['ai-tools'],
  arjel: ['gambling'],
  associations_religieuses: ['religion'],
  astrology: [],
  'audio-video': ['video-audio'],
  bank: ['banking'],
  bitcoin: ['cryptocurrency'],
  blog: ['blogs'],
  celebrity: [],
  chat: ['chat'],
  child: [],
  cleaning: [],
  cooking: [],
  cryptojacking: ['malware'],
  dangerous_material: ['weapons'],
  dating: ['dating'],
  ddos: ['hacking'],
  dialer: ['malware'],
  doh: ['doh'],
  download: ['file-sharing'],
  drogue: ['drugs'],
  'dynamic-dns': ['dynamic-dns'],
  educational_games: ['education', 'games'],
  examen_pix: [],
  exceptions_liste_bu: [],
  fakenews: ['misinformation'],
  filehosting: ['file-sharing'],
  financial: ['banking'],
  forums: ['forums'],
  gambling: ['gambling'],
  games: ['games'],
  hacking: ['hacking'],
  jobsearch: ['jobs'],
  lingerie: ['intimate-apparel'],
  liste_blanche: ['allow-list'],
  liste_bu: ['allow-list'],
  malware: ['malware'],
  manga: [],
  marketingware: ['advertising'],
  mixed_adult: ['mixed-adult'],
  'mobile-phone': [],
  phishing: ['phishing'],
  press: ['news'],
  publicite: ['advertising'],
  radio: ['video-audio'],
  reaffected: [],
  redirector: ['proxy'],
  'remote-control': ['remote-access'],
  'residential-proxies': ['proxy'],
  sect: ['extremism'],
  sexual_education: ['sex-education'],
  shopping: ['shopping'],
  shortener: ['url-shortener'],
  social_networks: ['social-networking'],
  special: [],
  sports: ['sports'],
  stalkerware: ['spyware'],
  strict_redirector: ['proxy'],
  strong_redirector: ['proxy'],
  translation: ['translator'],
  tricheur: ['cheating'],
  tricheur_pix: ['cheating'],
  update: [],
  vpn: ['vpn'],
  warez: ['piracy'],
  webhosting: [],
  webmail: ['webmail'],
};

// The Block List Project's lists (https://github.com/blocklistproject/Lists), including those not
// in the shared compact copy.
const blp: Record<string, readonly string[]> = {
  abuse: ['fraud'],
  ads: ['advertising'],
  adobe: ['tracking'],
  basic: [],
  crypto: ['malware'],
  drugs: ['drugs'],
  everything: [],
  facebook: ['social-networking'],
  fortnite: ['games'],
  fraud: ['fraud'],
  gambling: ['gambling'],
  malware: ['malware'],
  phishing: ['phishing'],
  piracy: ['piracy'],
  porn: ['adult'],
  ransomware: ['malware'],
  redirect: ['proxy'],
  scam: ['fraud'],
  'smart-tv': ['tracking'],
  tiktok: ['social-networking', 'media-sharing'],
  torrent: ['piracy', 'file-sharing'],
  tracking: ['tracking'],
  twitter: ['social-networking', 'micro-blogging'],
  vaping: ['alcohol-tobacco'],
  whatsapp: ['messaging'],
  youtube: ['video-audio', 'media-sharing'],
};

function buildDefaultMap(): Record<string, readonly string[]> {
  const map: Record<string, readonly string[]> = {};
  for (const [name, to] of Object.entries(ut1)) map[`ut1/${name}`] = Object.freeze([...to]);
  for (const [name, to] of Object.entries(blp)) map[`blp/${name}`] = Object.freeze([...to]);
  map['antiporn/adult'] = Object.freeze(['adult']);
  for (const name of Object.keys(standardCategories)) map[`hedgerow/${name}`] = Object.freeze([name]);
  return map;
}

/** source category (`ut1/social_networks`) → standard category names; unmapped names map to nothing */
export const defaultCategoryMap: Readonly<Record<string, readonly string[]>> = Object.freeze(buildDefaultMap());

/** The default map with a policy's `categoryMap` laid over it (an override replaces the entry). */
export function resolveCategoryMap(overrides: Readonly<Record<string, readonly string[]>> = {}): Readonly<Record<string, readonly string[]>> {
  const map: Record<string, readonly string[]> = { ...defaultCategoryMap };
  for (const [source, to] of Object.entries(overrides)) map[source] = Object.freeze([...to]);
  return Object.freeze(map);
}

/** Standard categories of a set of source categories under a map, in first-seen order. */
export function mapSourceCategories(sources: readonly string[], map: Readonly<Record<string, readonly string[]>> = defaultCategoryMap): string[] {
  const out: string[] = [];
  for (const source of sources) {
    for (const name of map[source] ?? []) if (!out.includes(name)) out.push(name);
  }
  return out;
}
