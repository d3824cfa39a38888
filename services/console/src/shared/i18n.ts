/** The languages of the policies the vault was built from; the browser's preference picks one. */
export const LANGUAGES = ['en', 'nb', 'da'] as const;
export type Language = (typeof LANGUAGES)[number];

const en = {
  privacyTitle: 'Privacy centre',
  consoleTitle: 'DPO console',
  logIn: 'Log in',
  logOut: 'Log out',
  loading: 'Loading…',
  devTokenLabel: 'Token (development: paste one made by `vault token`)',
  useToken: 'Use this token',
  noLogin: 'Log in to see what we hold about you.',
  wrongRole: 'This page is for data subjects; the DPO console is at /console.',
  myData: 'My data',
  myDataIntro: 'Everything we hold about you, by category, with why we hold it and for how long.',
  purpose: 'Purpose',
  legalBasis: 'Legal basis',
  retention: 'Kept',
  until: 'until',
  recipients: 'Shared with',
  nobody: 'Nobody outside us',
  value: 'Value',
  field: 'Field',
  erased: 'Erased',
  downloads: 'Download my data',
  downloadReport: 'Download my access report',
  downloadExport: 'Download my data export',
  downloadReadable: 'Download my access report as a page to read',
  readableHint:
    'The page is in this language and carries the signed report with its signature; the signed JSON stays the ' +
    'authoritative copy.',
  verifyHow:
    'Each download is signed. Check it: the SHA-256 of the "text" equals signature.sha256, and the JWS verifies ' +
    'with the public key at /.well-known/jwks.json.',
  consents: 'My consents',
  consentIntro: 'Turn a consent off at any time; turning it on records the version of the notice shown here.',
  notice: 'Privacy notice',
  version: 'version',
  objections: 'Object to a use of my data',
  object: 'Object',
  objected: 'Objected',
  requests: 'My requests',
  newRequest: 'Ask us',
  requestType: 'What do you want us to do?',
  send: 'Send request',
  sent: 'Your request is recorded. We answer by the due date.',
  received: 'Received',
  due: 'Due',
  status: 'Status',
  type: 'Type',
  noRequests: 'No requests yet.',
  ACCESS: 'A copy of my data',
  PORTABILITY: 'My data in a machine-readable file',
  RECTIFICATION: 'Correct my data',
  ERASURE: 'Erase my data',
  RESTRICTION: 'Stop using my data for now',
  OBJECTION: 'Stop a use of my data',
  OPEN: 'Open',
  COMPLETED: 'Completed',
  REFUSED: 'Refused',
  consent: 'your consent',
  contract: 'our contract with you',
  legalObligation: 'a law we must follow',
  legitimateInterest: 'our legitimate interest',
  vitalInterest: 'to protect someone’s life',
  publicTask: 'a task in the public interest',
  language: 'Language',
};

export type Messages = typeof en;

const nb: Messages = {
  ...en,
  privacyTitle: 'Personvernsenter',
  consoleTitle: 'Personvernombudets konsoll',
  logIn: 'Logg inn',
  logOut: 'Logg ut',
  loading: 'Laster …',
  noLogin: 'Logg inn for å se hva vi har om deg.',
  myData: 'Mine opplysninger',
  myDataIntro: 'Alt vi har om deg, per kategori, med hvorfor vi har det og hvor lenge.',
  purpose: 'Formål',
  legalBasis: 'Rettslig grunnlag',
  retention: 'Lagres',
  until: 'til',
  recipients: 'Deles med',
  nobody: 'Ingen utenfor oss',
  value: 'Verdi',
  field: 'Felt',
  erased: 'Slettet',
  downloads: 'Last ned mine opplysninger',
  downloadReport: 'Last ned innsynsrapporten min',
  downloadExport: 'Last ned dataeksporten min',
  downloadReadable: 'Last ned innsynsrapporten min som en side å lese',
  readableHint:
    'Siden er på dette språket og har den signerte rapporten med signaturen; den signerte JSON-filen er fortsatt ' +
    'den gjeldende kopien.',
  verifyHow:
    'Hver nedlasting er signert. Kontroller den: SHA-256 av «text» er lik signature.sha256, og JWS-en verifiseres ' +
    'med den offentlige nøkkelen på /.well-known/jwks.json.',
  consents: 'Mine samtykker',
  consentIntro: 'Slå av et samtykke når som helst; slår du det på, lagres versjonen av erklæringen som vises her.',
  notice: 'Personvernerklæring',
  objections: 'Protester mot en bruk av opplysningene mine',
  object: 'Protester',
  objected: 'Protestert',
  requests: 'Mine henvendelser',
  newRequest: 'Spør oss',
  requestType: 'Hva vil du at vi skal gjøre?',
  send: 'Send henvendelsen',
  sent: 'Henvendelsen er registrert. Vi svarer innen fristen.',
  received: 'Mottatt',
  due: 'Frist',
  status: 'Status',
  type: 'Type',
  noRequests: 'Ingen henvendelser ennå.',
  ACCESS: 'En kopi av opplysningene mine',
  PORTABILITY: 'Opplysningene mine i en maskinlesbar fil',
  RECTIFICATION: 'Rett opplysningene mine',
  ERASURE: 'Slett opplysningene mine',
  RESTRICTION: 'Stans bruken av opplysningene mine inntil videre',
  OBJECTION: 'Stans en bruk av opplysningene mine',
  OPEN: 'Åpen',
  COMPLETED: 'Fullført',
  REFUSED: 'Avslått',
  consent: 'ditt samtykke',
  contract: 'avtalen vår med deg',
  legalObligation: 'en lov vi må følge',
  legitimateInterest: 'vår berettigede interesse',
  language: 'Språk',
};

const da: Messages = {
  ...en,
  privacyTitle: 'Privatlivscenter',
  consoleTitle: 'DPO-konsol',
  logIn: 'Log ind',
  logOut: 'Log ud',
  loading: 'Indlæser …',
  noLogin: 'Log ind for at se, hvad vi har om dig.',
  myData: 'Mine oplysninger',
  myDataIntro: 'Alt, vi har om dig, pr. kategori, med hvorfor vi har det og hvor længe.',
  purpose: 'Formål',
  legalBasis: 'Retsgrundlag',
  retention: 'Opbevares',
  until: 'til',
  recipients: 'Deles med',
  nobody: 'Ingen uden for os',
  value: 'Værdi',
  field: 'Felt',
  erased: 'Slettet',
  downloads: 'Hent mine oplysninger',
  downloadReport: 'Hent min indsigtsrapport',
  downloadExport: 'Hent min dataeksport',
  downloadReadable: 'Hent min indsigtsrapport som en side at læse',
  readableHint:
    'Siden er på dette sprog og indeholder den signerede rapport med signaturen; den signerede JSON-fil er stadig ' +
    'den gældende kopi.',
  verifyHow:
    'Hver download er signeret. Kontrollér den: SHA-256 af "text" er lig med signature.sha256, og JWS’en verificeres ' +
    'med den offentlige nøgle på /.well-known/jwks.json.',
  consents: 'Mine samtykker',
  consentIntro: 'Slå et samtykke fra når som helst; slår du det til, gemmes versionen af meddelelsen, der vises her.',
  notice: 'Privatlivsmeddelelse',
  objections: 'Gør indsigelse mod en brug af mine oplysninger',
  object: 'Gør indsigelse',
  objected: 'Indsigelse gjort',
  requests: 'Mine anmodninger',
  newRequest: 'Spørg os',
  requestType: 'Hvad vil du have, at vi gør?',
  send: 'Send anmodningen',
  sent: 'Din anmodning er registreret. Vi svarer inden fristen.',
  received: 'Modtaget',
  due: 'Frist',
  status: 'Status',
  type: 'Type',
  noRequests: 'Ingen anmodninger endnu.',
  ACCESS: 'En kopi af mine oplysninger',
  PORTABILITY: 'Mine oplysninger i en maskinlæsbar fil',
  RECTIFICATION: 'Ret mine oplysninger',
  ERASURE: 'Slet mine oplysninger',
  RESTRICTION: 'Stop brugen af mine oplysninger indtil videre',
  OBJECTION: 'Stop en brug af mine oplysninger',
  OPEN: 'Åben',
  COMPLETED: 'Afsluttet',
  REFUSED: 'Afvist',
  consent: 'dit samtykke',
  contract: 'vores aftale med dig',
  legalObligation: 'en lov, vi skal følge',
  legitimateInterest: 'vores legitime interesse',
  language: 'Sprog',
};

const MESSAGES: Record<Language, Messages> = { en, nb, da };

/** The first of the browser's languages the pages speak (Norwegian Bokmål for any Norwegian), else English. */
export function languageOf(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'nb' || base === 'no' || base === 'nn') return 'nb';
    if (base === 'da') return 'da';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export const LANGUAGE: Language = languageOf(typeof navigator === 'undefined' ? [] : navigator.languages);
export const t: Messages = MESSAGES[LANGUAGE];

/** A message for a code the schema sends (a request type, a legal basis), or the code itself. */
export const word = (code: string): string => (t as Record<string, string>)[code] ?? code;

export const dateOf = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleDateString(LANGUAGE === 'en' ? 'en-GB' : LANGUAGE, { dateStyle: 'medium' }) : '—';
