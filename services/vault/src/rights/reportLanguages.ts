import type { ConsentChannel, RequestType } from '../domain/events.js';
import {
  type FieldOrigin,
  type LegalBasis,
  type Recipient,
  REPORT_LANGUAGES,
  type ReportLanguage,
  type Source,
} from '../domain/register.js';

/**
 * The words of the readable access report (`reportHtml.ts`) in each report language: English,
 * Norwegian Bokmål and Danish. The register's own texts (descriptions of purposes, categories and
 * retention rules) come from the register; these are the vault's: headings, the codes of the JSON
 * report in words, and each right with how to use it (Art. 12(1): concise, intelligible, plain).
 */
export interface ReportWords {
  /** BCP 47 locale for dates and numbers. */
  locale: string;
  title: (controller: string) => string;
  intro: string;
  generated: string;
  subjectId: string;
  authoritative: string;
  downloadJson: string;
  digest: string;
  signature: string;
  signingKey: string;
  verifyHow: string;
  englishOnly: string;
  categories: string;
  categoryCode: string;
  held: string;
  field: string;
  /** The column naming the entry (e.g. the debt-collection case) a value belongs to. */
  entry: string;
  value: string;
  origin: string;
  recorded: string;
  updated: string;
  purpose: string;
  legalBasis: string;
  source: string;
  noValue: string;
  document: (name: string, mediaType: string, bytes: number) => string;
  rectified: (by: string, at: string) => string;
  contested: (since: string) => string;
  why: string;
  purposeEnded: string;
  sources: string;
  recipients: string;
  recipientsNone: string;
  /** Said of a recipient the register names, which is told of every change to the data (Art. 19). */
  notifiedRecipient: string;
  disclosures: string;
  disclosuresNone: string;
  reader: string;
  firstRead: string;
  lastRead: string;
  reads: string;
  retention: string;
  retentionEnds: (at: string) => string;
  retentionOpen: string;
  transfers: string;
  transfersNone: string;
  transfer: (country: string, recipient: string) => string;
  safeguard: string;
  adm: string;
  admNone: string;
  admFactors: string;
  special: string;
  erased: (at: string, reason: string) => string;
  fieldErased: (field: string, at: string, reason: string) => string;
  retained: (basis: string, until: string) => string;
  retainedOpen: (basis: string) => string;
  consents: string;
  consentsNone: string;
  consentStands: string;
  consentWithdrawn: string;
  consentGiven: (at: string, channel: string, by: string) => string;
  consentNotice: (id: string, version: string) => string;
  consentUnknown: string;
  consentCovers: string;
  consentRenewed: string;
  withdrawnAt: (at: string) => string;
  withdrawnHow: (channel: string, by: string) => string;
  consentExpired: string;
  expiresAt: (at: string) => string;
  expiredAt: (at: string) => string;
  restrictions: string;
  restricted: (since: string, reason: string) => string;
  objections: string;
  objected: (purpose: string, since: string) => string;
  overridden: (at: string, grounds: string) => string;
  requests: string;
  request: (type: string, receivedAt: string, dueAt: string) => string;
  missed: (at: string) => string;
  extended: (months: number, at: string, reason: string) => string;
  refused: (reason: string) => string;
  requestStatus: Record<'OPEN' | 'COMPLETED' | 'REFUSED', string>;
  transmissions: string;
  transmission: (receiver: string, at: string, by: string) => string;
  transmissionOutcomes: Record<'delivered' | 'failed' | 'retrying', string>;
  attempts: (n: number) => string;
  history: string;
  consultations: string;
  consultationsListed: (listed: number, total: number) => string;
  when: string;
  rights: string;
  rightsIntro: (contact: string) => string;
  complaint: (authority: string, contact: string) => string;
  parties: string;
  controller: string;
  dpo: string;
  authority: string;
  none: string;
  years: (n: number) => string;
  months: (n: number) => string;
  days: (n: number) => string;
  legalBases: Record<LegalBasis, string>;
  sourceWords: Record<Source, string>;
  origins: Record<FieldOrigin, string>;
  roles: Record<Recipient['role'], string>;
  channels: Record<ConsentChannel, string>;
  requestTypes: Record<RequestType, string>;
  /** Why data was erased, by the report's codes. */
  erasureReasons: Record<string, string>;
  /** Why processing is restricted (Art. 18(1)), by the report's codes. */
  restrictionReasons: Record<string, string>;
  /** Per right (by its DPV term, `eu-gdpr:A15`): what it is and how to use it. */
  rightWords: Record<string, { name: string; how: string }>;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const EN: ReportWords = {
  locale: 'en-GB',
  title: (c) => `Your personal data at ${c}`,
  intro:
    'This report answers your right of access (Article 15 of the General Data Protection Regulation, GDPR): ' +
    'it shows the personal data we hold about you, why we use it, on which legal basis, where it comes from, who ' +
    'receives it, how long we keep it, and your rights.',
  generated: 'Made on',
  subjectId: 'Your reference with us',
  authoritative:
    'This page is a readable copy. The authoritative document is the signed report in JSON below: ' +
    'if the two ever differ, the signed report counts.',
  downloadJson: 'Download the signed report (JSON)',
  digest: 'SHA-256 of the signed report',
  signature: 'Signature (JWS, EdDSA)',
  signingKey: 'Our public signing key',
  verifyHow: 'The signature covers the SHA-256 digest of the exact bytes of the JSON file.',
  englishOnly: 'Only available in English:',
  categories: 'The personal data we hold about you',
  categoryCode: 'Category',
  held: 'What we hold',
  field: 'Item',
  entry: 'Case or record',
  value: 'Value',
  origin: 'How we got it',
  recorded: 'Recorded',
  updated: 'Last changed',
  purpose: 'Used for',
  legalBasis: 'Legal basis',
  source: 'Source',
  noValue: '(could not be opened)',
  document: (name, type, bytes) => `Document ${name} (${type}, ${bytes} bytes: in the signed report)`,
  rectified: (by, at) => `Corrected by ${by} on ${at}.`,
  contested: (since) => `You contest this value (since ${since}); we do not use it until your request is decided.`,
  why: 'Why we use it',
  purposeEnded: 'no longer: your consent was withdrawn or you objected',
  sources: 'Where it comes from',
  recipients: 'Who receives it',
  recipientsNone: 'We do not give this data to anyone outside our organisation.',
  notifiedRecipient: 'receives it, and is told of every correction, erasure and restriction of it',
  disclosures: 'Who has read it',
  disclosuresNone: 'Nobody has read it yet.',
  reader: 'Reader',
  firstRead: 'First read',
  lastRead: 'Last read',
  reads: 'Times',
  retention: 'How long we keep it',
  retentionEnds: (at) => `The period ends on ${at}.`,
  retentionOpen: 'The period has not started yet: it starts with the event the rule names.',
  transfers: 'Transfers outside the EU/EEA',
  transfersNone: 'None.',
  transfer: (country, recipient) => `To ${recipient} in ${country}.`,
  safeguard: 'Safeguard',
  adm: 'Automated decisions',
  admNone: 'No decision about you is made by automated means alone with this data.',
  admFactors: 'The decision is made on this data about you',
  special: 'This is a special category of personal data (Article 9 GDPR).',
  erased: (at, reason) => `Erased on ${at} (${reason}).`,
  fieldErased: (field, at, reason) => `${field}: erased on ${at} (${reason}).`,
  retained: (basis, until) => `Kept under a legal hold (${basis}) until ${until}; not used for anything else.`,
  retainedOpen: (basis) => `Kept under a legal hold (${basis}) for the period the law sets; not used otherwise.`,
  consents: 'Your consents',
  consentsNone: 'You have not given us any consent.',
  consentStands: 'You have given your consent.',
  consentWithdrawn: 'You have withdrawn your consent.',
  consentGiven: (at, channel, by) => `Given on ${at} by ${channel}, recorded by ${by}.`,
  consentNotice: (id, version) => `The privacy notice shown: ${id}, version ${version}.`,
  consentUnknown: 'Given before we kept records of how consent was given.',
  consentCovers: 'It covers',
  consentRenewed: 'Given again after a withdrawal.',
  withdrawnAt: (at) => `Withdrawn on ${at}.`,
  withdrawnHow: (channel, by) => `The withdrawal came by ${channel} and was taken by ${by}.`,
  consentExpired: 'Your consent has expired: we no longer use your data for this until you give it again.',
  expiresAt: (at) => `Valid until ${at}.`,
  expiredAt: (at) => `Expired on ${at}.`,
  restrictions: 'Restrictions of processing',
  restricted: (since, reason) => `restricted since ${since} (${reason}).`,
  objections: 'Your objections',
  objected: (purpose, since) => `${purpose}: you objected on ${since}.`,
  overridden: (at, grounds) => `On ${at} we decided to continue, on these grounds: ${grounds}`,
  requests: 'Your requests',
  request: (type, received, due) => `${type}: received ${received}, due ${due}.`,
  missed: (at) => `We missed the deadline of ${at}.`,
  extended: (months, at, reason) => `Extended by ${plural(months, 'month', 'months')} on ${at}: ${reason}`,
  refused: (reason) => `Refused: ${reason}`,
  requestStatus: { OPEN: 'open', COMPLETED: 'completed', REFUSED: 'refused' },
  transmissions: 'Your data sent to other controllers (data portability, Article 20(2))',
  transmission: (receiver, at, by) => `Sent to ${receiver} on ${at}, as asked by ${by}:`,
  transmissionOutcomes: {
    delivered: 'delivered',
    failed: 'not delivered',
    retrying: 'stopped before it was delivered',
  },
  attempts: (n) => plural(n, 'attempt', 'attempts'),
  history: 'Earlier values',
  consultations: 'Every time your data was read',
  consultationsListed: (listed, total) =>
    listed === total
      ? `All ${total} reads, the newest first.`
      : `The ${listed} most recent of ${total} reads. Who read each category, and how often, is counted in full above.`,
  when: 'When',
  rights: 'Your rights and how to use them',
  rightsIntro: (contact) => `To use any of these rights, write to us at ${contact}. It is free of charge.`,
  complaint: (authority, contact) => `The supervisory authority is ${authority} (${contact}).`,
  parties: 'Who is responsible',
  controller: 'Controller',
  dpo: 'Data protection officer',
  authority: 'Supervisory authority',
  none: 'None.',
  years: (n) => plural(n, 'year', 'years'),
  months: (n) => plural(n, 'month', 'months'),
  days: (n) => plural(n, 'day', 'days'),
  legalBases: {
    consent: 'your consent (Art. 6(1)(a))',
    contract: 'a contract with you, or steps you asked for before one (Art. 6(1)(b))',
    legalObligation: 'a legal obligation we have (Art. 6(1)(c))',
    vitalInterest: "to protect someone's vital interests (Art. 6(1)(d))",
    publicTask: 'a task in the public interest (Art. 6(1)(e))',
    legitimateInterest: 'our legitimate interests (Art. 6(1)(f))',
  },
  sourceWords: {
    subject: 'you',
    observed: 'your use of our website and services',
    publicRegister: 'a public register',
    creditAgency: 'a credit agency',
    thirdParty: 'another company or person',
    tradeShow: 'a trade show',
    derived: 'derived by us from other data',
    internal: 'created by us',
  },
  origins: {
    provided: 'you gave it to us',
    observed: 'recorded from your use of our services',
    obtained: 'obtained from others; not part of a data portability export',
    derived: 'derived by us from other data; not part of a data portability export',
  },
  roles: {
    processor: 'processes it on our behalf',
    controller: 'uses it on its own responsibility',
    jointController: 'decides with us how it is used (joint controller)',
    authority: 'public authority',
  },
  channels: {
    webForm: 'web form',
    app: 'app',
    api: 'a connected service',
    email: 'email',
    phone: 'phone',
    paper: 'paper form',
    inPerson: 'in person',
    other: 'other means',
  },
  requestTypes: {
    ACCESS: 'Access',
    PORTABILITY: 'Data portability',
    ERASURE: 'Erasure',
    RECTIFICATION: 'Rectification',
    RESTRICTION: 'Restriction',
    OBJECTION: 'Objection',
  },
  erasureReasons: {
    erasure: 'erasure',
    retention: 'its retention period ended',
    withdrawal: 'you withdrew your consent',
    consentExpired: 'your consent expired',
    objection: 'you objected',
    fieldErasure: 'this item was erased',
    subjectRequest: 'at your request',
    consentWithdrawn: 'you withdrew your consent',
    noLongerNecessary: 'no longer needed',
    unlawful: 'it was processed unlawfully',
    legalObligation: 'the law required it',
    child: 'collected from a child',
    other: 'other reason',
  },
  restrictionReasons: {
    accuracyContested: 'you contest its accuracy',
    unlawful: 'its processing is unlawful and you asked us to keep it',
    noLongerNeededButClaims: 'we no longer need it, but you need it for legal claims',
    objectionPending: 'your objection is being considered',
    other: 'other reason',
  },
  rightWords: {
    'eu-gdpr:A15': {
      name: 'Right of access (Art. 15)',
      how: 'Ask for this report again at any time; we answer within one month.',
    },
    'eu-gdpr:A16': {
      name: 'Right to rectification (Art. 16)',
      how: 'Tell us what is wrong and what is right; we correct it or tell you why not.',
    },
    'eu-gdpr:A17': {
      name: 'Right to erasure (Art. 17)',
      how: 'Ask us to erase your data; what the law makes us keep is kept, restricted, until its period ends.',
    },
    'eu-gdpr:A18': {
      name: 'Right to restriction of processing (Art. 18)',
      how: 'Ask us to stop using data you contest or that we no longer need, while it is kept.',
    },
    'eu-gdpr:A20': {
      name: 'Right to data portability (Art. 20)',
      how:
        'Ask for an export of the data you gave us or that we recorded from your use of our services, ' +
        'in a machine-readable file you can take to another company.',
    },
    'eu-gdpr:A21': {
      name: 'Right to object (Art. 21)',
      how: 'Object to a use based on our legitimate interests or for direct marketing; direct marketing stops at once.',
    },
    'eu-gdpr:A22': {
      name: 'Right not to be subject to a decision based solely on automated processing (Art. 22)',
      how: 'Ask for a person to review an automated decision, give your view and contest it.',
    },
    'eu-gdpr:A7-3': {
      name: 'Right to withdraw consent (Art. 7(3))',
      how: 'Withdraw a consent as easily as you gave it; what we did before stays lawful.',
    },
    'eu-gdpr:A77': {
      name: 'Right to lodge a complaint with a supervisory authority (Art. 77)',
      how: 'Complain to the supervisory authority named below, or to the one where you live or work.',
    },
  },
};

const NB: ReportWords = {
  locale: 'nb-NO',
  title: (c) => `Dine personopplysninger hos ${c}`,
  intro:
    'Denne rapporten svarer på din rett til innsyn (artikkel 15 i personvernforordningen, GDPR): den viser ' +
    'personopplysningene vi har om deg, hvorfor vi bruker dem, på hvilket rettslig grunnlag, hvor de kommer fra, ' +
    'hvem som mottar dem, hvor lenge vi lagrer dem, og hvilke rettigheter du har.',
  generated: 'Laget',
  subjectId: 'Din referanse hos oss',
  authoritative:
    'Denne siden er en lesbar kopi. Det gjeldende dokumentet er den signerte rapporten i JSON nedenfor: ' +
    'hvis de to noen gang er ulike, er det den signerte rapporten som gjelder.',
  downloadJson: 'Last ned den signerte rapporten (JSON)',
  digest: 'SHA-256 av den signerte rapporten',
  signature: 'Signatur (JWS, EdDSA)',
  signingKey: 'Vår offentlige signeringsnøkkel',
  verifyHow: 'Signaturen dekker SHA-256-sjekksummen av de nøyaktige bytene i JSON-filen.',
  englishOnly: 'Finnes bare på engelsk:',
  categories: 'Personopplysningene vi har om deg',
  categoryCode: 'Kategori',
  held: 'Hva vi har',
  field: 'Opplysning',
  entry: 'Sak eller oppføring',
  value: 'Verdi',
  origin: 'Hvordan vi fikk den',
  recorded: 'Registrert',
  updated: 'Sist endret',
  purpose: 'Brukes til',
  legalBasis: 'Rettslig grunnlag',
  source: 'Kilde',
  noValue: '(kunne ikke åpnes)',
  document: (name, type, bytes) => `Dokument ${name} (${type}, ${bytes} byte: i den signerte rapporten)`,
  rectified: (by, at) => `Rettet av ${by} ${at}.`,
  contested: (since) => `Du bestrider denne verdien (siden ${since}); vi bruker den ikke før kravet ditt er avgjort.`,
  why: 'Hvorfor vi bruker dem',
  purposeEnded: 'ikke lenger: du har trukket tilbake samtykket eller protestert',
  sources: 'Hvor de kommer fra',
  recipients: 'Hvem som mottar dem',
  recipientsNone: 'Vi gir ikke disse opplysningene til noen utenfor virksomheten vår.',
  notifiedRecipient: 'mottar dem, og får beskjed om hver retting, sletting og begrensning av dem',
  disclosures: 'Hvem som har lest dem',
  disclosuresNone: 'Ingen har lest dem ennå.',
  reader: 'Leser',
  firstRead: 'Først lest',
  lastRead: 'Sist lest',
  reads: 'Antall',
  retention: 'Hvor lenge vi lagrer dem',
  retentionEnds: (at) => `Perioden slutter ${at}.`,
  retentionOpen: 'Perioden har ikke begynt ennå: den begynner med hendelsen regelen nevner.',
  transfers: 'Overføringer utenfor EU/EØS',
  transfersNone: 'Ingen.',
  transfer: (country, recipient) => `Til ${recipient} i ${country}.`,
  safeguard: 'Garanti',
  adm: 'Automatiserte avgjørelser',
  admNone: 'Ingen avgjørelse om deg tas bare automatisk med disse opplysningene.',
  admFactors: 'Avgjørelsen tas på grunnlag av disse opplysningene om deg',
  special: 'Dette er en særlig kategori av personopplysninger (artikkel 9 i GDPR).',
  erased: (at, reason) => `Slettet ${at} (${reason}).`,
  fieldErased: (field, at, reason) => `${field}: slettet ${at} (${reason}).`,
  retained: (basis, until) => `Oppbevares under rettslig pålegg (${basis}) til ${until}; brukes ikke til noe annet.`,
  retainedOpen: (basis) => `Oppbevares under rettslig pålegg (${basis}) så lenge loven krever; brukes ikke ellers.`,
  consents: 'Dine samtykker',
  consentsNone: 'Du har ikke gitt oss noe samtykke.',
  consentStands: 'Du har gitt samtykke.',
  consentWithdrawn: 'Du har trukket tilbake samtykket.',
  consentGiven: (at, channel, by) => `Gitt ${at} via ${channel}, registrert av ${by}.`,
  consentNotice: (id, version) => `Personvernerklæringen som ble vist: ${id}, versjon ${version}.`,
  consentUnknown: 'Gitt før vi registrerte hvordan samtykke ble gitt.',
  consentCovers: 'Det gjelder',
  consentRenewed: 'Gitt på nytt etter en tilbaketrekking.',
  withdrawnAt: (at) => `Trukket tilbake ${at}.`,
  withdrawnHow: (channel, by) => `Tilbaketrekkingen kom via ${channel} og ble tatt imot av ${by}.`,
  consentExpired: 'Samtykket ditt er utløpt: vi bruker ikke opplysningene dine til dette før du gir det på nytt.',
  expiresAt: (at) => `Gyldig til ${at}.`,
  expiredAt: (at) => `Utløpt ${at}.`,
  restrictions: 'Begrensning av behandling',
  restricted: (since, reason) => `begrenset siden ${since} (${reason}).`,
  objections: 'Dine protester',
  objected: (purpose, since) => `${purpose}: du protesterte ${since}.`,
  overridden: (at, grounds) => `${at} besluttet vi å fortsette, med denne begrunnelsen: ${grounds}`,
  requests: 'Dine henvendelser',
  request: (type, received, due) => `${type}: mottatt ${received}, frist ${due}.`,
  missed: (at) => `Vi overskred fristen ${at}.`,
  extended: (months, at, reason) => `Forlenget med ${plural(months, 'måned', 'måneder')} ${at}: ${reason}`,
  refused: (reason) => `Avslått: ${reason}`,
  requestStatus: { OPEN: 'åpen', COMPLETED: 'fullført', REFUSED: 'avslått' },
  transmissions: 'Dine opplysninger sendt til andre behandlingsansvarlige (dataportabilitet, artikkel 20 nr. 2)',
  transmission: (receiver, at, by) => `Sendt til ${receiver} ${at}, på forespørsel fra ${by}:`,
  transmissionOutcomes: { delivered: 'levert', failed: 'ikke levert', retrying: 'stanset før levering' },
  attempts: (n) => `${n} forsøk`,
  history: 'Tidligere verdier',
  consultations: 'Hver gang opplysningene dine ble lest',
  consultationsListed: (listed, total) =>
    listed === total
      ? `Alle ${total} lesinger, de nyeste først.`
      : `De ${listed} siste av ${total} lesinger. Hvem som har lest hver kategori, og hvor ofte, er talt opp ovenfor.`,
  when: 'Når',
  rights: 'Dine rettigheter og hvordan du bruker dem',
  rightsIntro: (contact) => `For å bruke disse rettighetene, skriv til oss på ${contact}. Det er gratis.`,
  complaint: (authority, contact) => `Tilsynsmyndigheten er ${authority} (${contact}).`,
  parties: 'Hvem som er ansvarlig',
  controller: 'Behandlingsansvarlig',
  dpo: 'Personvernombud',
  authority: 'Tilsynsmyndighet',
  none: 'Ingen.',
  years: (n) => `${n} år`,
  months: (n) => plural(n, 'måned', 'måneder'),
  days: (n) => plural(n, 'dag', 'dager'),
  legalBases: {
    consent: 'ditt samtykke (art. 6 nr. 1 bokstav a)',
    contract: 'en avtale med deg, eller tiltak du ba om før en avtale (art. 6 nr. 1 bokstav b)',
    legalObligation: 'en rettslig forpliktelse vi har (art. 6 nr. 1 bokstav c)',
    vitalInterest: 'å verne noens vitale interesser (art. 6 nr. 1 bokstav d)',
    publicTask: 'en oppgave i allmennhetens interesse (art. 6 nr. 1 bokstav e)',
    legitimateInterest: 'våre berettigede interesser (art. 6 nr. 1 bokstav f)',
  },
  sourceWords: {
    subject: 'deg',
    observed: 'din bruk av nettstedet og tjenestene våre',
    publicRegister: 'et offentlig register',
    creditAgency: 'et kredittopplysningsbyrå',
    thirdParty: 'et annet selskap eller en annen person',
    tradeShow: 'en messe',
    derived: 'utledet av oss fra andre opplysninger',
    internal: 'laget av oss',
  },
  origins: {
    provided: 'du ga oss den',
    observed: 'registrert fra din bruk av tjenestene våre',
    obtained: 'hentet fra andre; ikke med i en dataportabilitetseksport',
    derived: 'utledet av oss fra andre opplysninger; ikke med i en dataportabilitetseksport',
  },
  roles: {
    processor: 'behandler dem på våre vegne',
    controller: 'bruker dem på eget ansvar',
    jointController: 'bestemmer sammen med oss hvordan de brukes (felles behandlingsansvarlig)',
    authority: 'offentlig myndighet',
  },
  channels: {
    webForm: 'nettskjema',
    app: 'app',
    api: 'en tilknyttet tjeneste',
    email: 'e-post',
    phone: 'telefon',
    paper: 'papirskjema',
    inPerson: 'personlig oppmøte',
    other: 'annen måte',
  },
  requestTypes: {
    ACCESS: 'Innsyn',
    PORTABILITY: 'Dataportabilitet',
    ERASURE: 'Sletting',
    RECTIFICATION: 'Retting',
    RESTRICTION: 'Begrensning',
    OBJECTION: 'Protest',
  },
  erasureReasons: {
    erasure: 'sletting',
    retention: 'lagringstiden var ute',
    withdrawal: 'du trakk tilbake samtykket',
    consentExpired: 'samtykket ditt utløp',
    objection: 'du protesterte',
    fieldErasure: 'denne opplysningen ble slettet',
    subjectRequest: 'etter ditt ønske',
    consentWithdrawn: 'du trakk tilbake samtykket',
    noLongerNecessary: 'ikke lenger nødvendig',
    unlawful: 'den ble behandlet ulovlig',
    legalObligation: 'loven krevde det',
    child: 'samlet inn fra et barn',
    other: 'annen grunn',
  },
  restrictionReasons: {
    accuracyContested: 'du bestrider at den er riktig',
    unlawful: 'behandlingen er ulovlig, og du ba oss beholde den',
    noLongerNeededButClaims: 'vi trenger den ikke lenger, men du trenger den for et rettskrav',
    objectionPending: 'protesten din blir vurdert',
    other: 'annen grunn',
  },
  rightWords: {
    'eu-gdpr:A15': {
      name: 'Rett til innsyn (art. 15)',
      how: 'Be om denne rapporten på nytt når som helst; vi svarer innen én måned.',
    },
    'eu-gdpr:A16': {
      name: 'Rett til retting (art. 16)',
      how: 'Si fra hva som er feil og hva som er riktig; vi retter det eller forklarer hvorfor ikke.',
    },
    'eu-gdpr:A17': {
      name: 'Rett til sletting (art. 17)',
      how:
        'Be oss slette opplysningene dine; det loven pålegger oss å oppbevare, oppbevares begrenset ' +
        'til fristen går ut.',
    },
    'eu-gdpr:A18': {
      name: 'Rett til begrensning av behandling (art. 18)',
      how: 'Be oss slutte å bruke opplysninger du bestrider eller som vi ikke lenger trenger, mens de oppbevares.',
    },
    'eu-gdpr:A20': {
      name: 'Rett til dataportabilitet (art. 20)',
      how:
        'Be om en eksport av opplysningene du ga oss, eller som vi registrerte fra din bruk av tjenestene våre, ' +
        'i en maskinlesbar fil du kan ta med til et annet selskap.',
    },
    'eu-gdpr:A21': {
      name: 'Rett til å protestere (art. 21)',
      how:
        'Protester mot bruk basert på våre berettigede interesser eller til direkte markedsføring; ' +
        'markedsføringen stopper straks.',
    },
    'eu-gdpr:A22': {
      name: 'Rett til ikke å være gjenstand for en avgjørelse basert utelukkende på automatisert behandling (art. 22)',
      how: 'Be om at et menneske vurderer en automatisert avgjørelse, si din mening og bestrid den.',
    },
    'eu-gdpr:A7-3': {
      name: 'Rett til å trekke tilbake samtykke (art. 7 nr. 3)',
      how: 'Trekk tilbake et samtykke like lett som du ga det; det vi gjorde før, er fortsatt lovlig.',
    },
    'eu-gdpr:A77': {
      name: 'Rett til å klage til en tilsynsmyndighet (art. 77)',
      how: 'Klag til tilsynsmyndigheten nevnt nedenfor, eller til den der du bor eller arbeider.',
    },
  },
};

const DA: ReportWords = {
  locale: 'da-DK',
  title: (c) => `Dine personoplysninger hos ${c}`,
  intro:
    'Denne rapport besvarer din ret til indsigt (artikel 15 i databeskyttelsesforordningen, GDPR): den viser de ' +
    'personoplysninger, vi har om dig, hvorfor vi bruger dem, på hvilket retsgrundlag, hvor de kommer fra, hvem der ' +
    'modtager dem, hvor længe vi opbevarer dem, og hvilke rettigheder du har.',
  generated: 'Udarbejdet',
  subjectId: 'Din reference hos os',
  authoritative:
    'Denne side er en læsbar kopi. Det gældende dokument er den signerede rapport i JSON nedenfor: ' +
    'hvis de to nogensinde er forskellige, er det den signerede rapport, der gælder.',
  downloadJson: 'Hent den signerede rapport (JSON)',
  digest: 'SHA-256 af den signerede rapport',
  signature: 'Signatur (JWS, EdDSA)',
  signingKey: 'Vores offentlige signeringsnøgle',
  verifyHow: 'Signaturen dækker SHA-256-tjeksummen af de nøjagtige bytes i JSON-filen.',
  englishOnly: 'Findes kun på engelsk:',
  categories: 'De personoplysninger, vi har om dig',
  categoryCode: 'Kategori',
  held: 'Hvad vi har',
  field: 'Oplysning',
  entry: 'Sag eller registrering',
  value: 'Værdi',
  origin: 'Hvordan vi fik den',
  recorded: 'Registreret',
  updated: 'Sidst ændret',
  purpose: 'Bruges til',
  legalBasis: 'Retsgrundlag',
  source: 'Kilde',
  noValue: '(kunne ikke åbnes)',
  document: (name, type, bytes) => `Dokument ${name} (${type}, ${bytes} bytes: i den signerede rapport)`,
  rectified: (by, at) => `Rettet af ${by} ${at}.`,
  contested: (since) => `Du bestrider denne værdi (siden ${since}); vi bruger den ikke, før din anmodning er afgjort.`,
  why: 'Hvorfor vi bruger dem',
  purposeEnded: 'ikke længere: du har trukket dit samtykke tilbage eller gjort indsigelse',
  sources: 'Hvor de kommer fra',
  recipients: 'Hvem der modtager dem',
  recipientsNone: 'Vi giver ikke disse oplysninger til nogen uden for vores organisation.',
  notifiedRecipient: 'modtager dem og får besked om hver berigtigelse, sletning og begrænsning af dem',
  disclosures: 'Hvem der har læst dem',
  disclosuresNone: 'Ingen har læst dem endnu.',
  reader: 'Læser',
  firstRead: 'Først læst',
  lastRead: 'Sidst læst',
  reads: 'Antal',
  retention: 'Hvor længe vi opbevarer dem',
  retentionEnds: (at) => `Perioden slutter ${at}.`,
  retentionOpen: 'Perioden er ikke begyndt endnu: den begynder med den hændelse, reglen nævner.',
  transfers: 'Overførsler uden for EU/EØS',
  transfersNone: 'Ingen.',
  transfer: (country, recipient) => `Til ${recipient} i ${country}.`,
  safeguard: 'Garanti',
  adm: 'Automatiske afgørelser',
  admNone: 'Ingen afgørelse om dig træffes alene automatisk med disse oplysninger.',
  admFactors: 'Afgørelsen træffes på grundlag af disse oplysninger om dig',
  special: 'Dette er en særlig kategori af personoplysninger (artikel 9 i GDPR).',
  erased: (at, reason) => `Slettet ${at} (${reason}).`,
  fieldErased: (field, at, reason) => `${field}: slettet ${at} (${reason}).`,
  retained: (basis, until) => `Opbevares under retligt pålæg (${basis}) indtil ${until}; bruges ikke til andet.`,
  retainedOpen: (basis) => `Opbevares under retligt pålæg (${basis}) så længe loven kræver; bruges ikke ellers.`,
  consents: 'Dine samtykker',
  consentsNone: 'Du har ikke givet os noget samtykke.',
  consentStands: 'Du har givet samtykke.',
  consentWithdrawn: 'Du har trukket dit samtykke tilbage.',
  consentGiven: (at, channel, by) => `Givet ${at} via ${channel}, registreret af ${by}.`,
  consentNotice: (id, version) => `Den viste privatlivspolitik: ${id}, version ${version}.`,
  consentUnknown: 'Givet, før vi registrerede, hvordan samtykke blev givet.',
  consentCovers: 'Det omfatter',
  consentRenewed: 'Givet igen efter en tilbagetrækning.',
  withdrawnAt: (at) => `Trukket tilbage ${at}.`,
  withdrawnHow: (channel, by) => `Tilbagetrækningen kom via ${channel} og blev modtaget af ${by}.`,
  consentExpired: 'Dit samtykke er udløbet: vi bruger ikke dine oplysninger til dette, før du giver det igen.',
  expiresAt: (at) => `Gyldigt til ${at}.`,
  expiredAt: (at) => `Udløbet ${at}.`,
  restrictions: 'Begrænsning af behandling',
  restricted: (since, reason) => `begrænset siden ${since} (${reason}).`,
  objections: 'Dine indsigelser',
  objected: (purpose, since) => `${purpose}: du gjorde indsigelse ${since}.`,
  overridden: (at, grounds) => `${at} besluttede vi at fortsætte med denne begrundelse: ${grounds}`,
  requests: 'Dine anmodninger',
  request: (type, received, due) => `${type}: modtaget ${received}, frist ${due}.`,
  missed: (at) => `Vi overskred fristen ${at}.`,
  extended: (months, at, reason) => `Forlænget med ${plural(months, 'måned', 'måneder')} ${at}: ${reason}`,
  refused: (reason) => `Afslået: ${reason}`,
  requestStatus: { OPEN: 'åben', COMPLETED: 'afsluttet', REFUSED: 'afslået' },
  transmissions: 'Dine oplysninger sendt til andre dataansvarlige (dataportabilitet, artikel 20, stk. 2)',
  transmission: (receiver, at, by) => `Sendt til ${receiver} den ${at} efter anmodning fra ${by}:`,
  transmissionOutcomes: { delivered: 'leveret', failed: 'ikke leveret', retrying: 'standset før levering' },
  attempts: (n) => `${n} forsøg`,
  history: 'Tidligere værdier',
  consultations: 'Hver gang dine oplysninger blev læst',
  consultationsListed: (listed, total) =>
    listed === total
      ? `Alle ${total} læsninger, de nyeste først.`
      : `De ${listed} seneste af ${total} læsninger. Hvem der har læst hver kategori, og hvor ofte, står ovenfor.`,
  when: 'Hvornår',
  rights: 'Dine rettigheder, og hvordan du bruger dem',
  rightsIntro: (contact) => `For at bruge disse rettigheder skal du skrive til os på ${contact}. Det er gratis.`,
  complaint: (authority, contact) => `Tilsynsmyndigheden er ${authority} (${contact}).`,
  parties: 'Hvem der er ansvarlig',
  controller: 'Dataansvarlig',
  dpo: 'Databeskyttelsesrådgiver',
  authority: 'Tilsynsmyndighed',
  none: 'Ingen.',
  years: (n) => `${n} år`,
  months: (n) => plural(n, 'måned', 'måneder'),
  days: (n) => plural(n, 'dag', 'dage'),
  legalBases: {
    consent: 'dit samtykke (art. 6, stk. 1, litra a)',
    contract: 'en aftale med dig, eller skridt du bad om før en aftale (art. 6, stk. 1, litra b)',
    legalObligation: 'en retlig forpligtelse, vi har (art. 6, stk. 1, litra c)',
    vitalInterest: 'at beskytte nogens vitale interesser (art. 6, stk. 1, litra d)',
    publicTask: 'en opgave i samfundets interesse (art. 6, stk. 1, litra e)',
    legitimateInterest: 'vores legitime interesser (art. 6, stk. 1, litra f)',
  },
  sourceWords: {
    subject: 'dig',
    observed: 'din brug af vores websted og tjenester',
    publicRegister: 'et offentligt register',
    creditAgency: 'et kreditoplysningsbureau',
    thirdParty: 'en anden virksomhed eller person',
    tradeShow: 'en messe',
    derived: 'afledt af os fra andre oplysninger',
    internal: 'skabt af os',
  },
  origins: {
    provided: 'du gav os den',
    observed: 'registreret fra din brug af vores tjenester',
    obtained: 'indhentet fra andre; ikke med i en dataportabilitetseksport',
    derived: 'afledt af os fra andre oplysninger; ikke med i en dataportabilitetseksport',
  },
  roles: {
    processor: 'behandler dem på vores vegne',
    controller: 'bruger dem på eget ansvar',
    jointController: 'bestemmer sammen med os, hvordan de bruges (fælles dataansvarlig)',
    authority: 'offentlig myndighed',
  },
  channels: {
    webForm: 'webformular',
    app: 'app',
    api: 'en tilknyttet tjeneste',
    email: 'e-mail',
    phone: 'telefon',
    paper: 'papirformular',
    inPerson: 'personligt fremmøde',
    other: 'anden måde',
  },
  requestTypes: {
    ACCESS: 'Indsigt',
    PORTABILITY: 'Dataportabilitet',
    ERASURE: 'Sletning',
    RECTIFICATION: 'Berigtigelse',
    RESTRICTION: 'Begrænsning',
    OBJECTION: 'Indsigelse',
  },
  erasureReasons: {
    erasure: 'sletning',
    retention: 'opbevaringsperioden udløb',
    withdrawal: 'du trak dit samtykke tilbage',
    consentExpired: 'dit samtykke udløb',
    objection: 'du gjorde indsigelse',
    fieldErasure: 'denne oplysning blev slettet',
    subjectRequest: 'på din anmodning',
    consentWithdrawn: 'du trak dit samtykke tilbage',
    noLongerNecessary: 'ikke længere nødvendig',
    unlawful: 'den blev behandlet ulovligt',
    legalObligation: 'loven krævede det',
    child: 'indsamlet fra et barn',
    other: 'anden grund',
  },
  restrictionReasons: {
    accuracyContested: 'du bestrider, at den er korrekt',
    unlawful: 'behandlingen er ulovlig, og du bad os beholde den',
    noLongerNeededButClaims: 'vi har ikke længere brug for den, men du har brug for den til et retskrav',
    objectionPending: 'din indsigelse bliver vurderet',
    other: 'anden grund',
  },
  rightWords: {
    'eu-gdpr:A15': {
      name: 'Ret til indsigt (art. 15)',
      how: 'Bed om denne rapport igen når som helst; vi svarer inden for én måned.',
    },
    'eu-gdpr:A16': {
      name: 'Ret til berigtigelse (art. 16)',
      how: 'Fortæl os, hvad der er forkert, og hvad der er rigtigt; vi retter det eller forklarer hvorfor ikke.',
    },
    'eu-gdpr:A17': {
      name: 'Ret til sletning (art. 17)',
      how:
        'Bed os slette dine oplysninger; hvad loven pålægger os at opbevare, opbevares begrænset, ' +
        'til fristen udløber.',
    },
    'eu-gdpr:A18': {
      name: 'Ret til begrænsning af behandling (art. 18)',
      how: 'Bed os holde op med at bruge oplysninger, du bestrider, eller som vi ikke længere har brug for.',
    },
    'eu-gdpr:A20': {
      name: 'Ret til dataportabilitet (art. 20)',
      how:
        'Bed om en eksport af de oplysninger, du gav os, eller som vi registrerede fra din brug af vores tjenester, ' +
        'i en maskinlæsbar fil, du kan tage med til en anden virksomhed.',
    },
    'eu-gdpr:A21': {
      name: 'Ret til indsigelse (art. 21)',
      how:
        'Gør indsigelse mod brug baseret på vores legitime interesser eller til direkte markedsføring; ' +
        'markedsføringen stopper straks.',
    },
    'eu-gdpr:A22': {
      name: 'Ret til ikke at være genstand for en afgørelse, der alene er baseret på automatisk behandling (art. 22)',
      how: 'Bed om, at et menneske vurderer en automatisk afgørelse, giv dit synspunkt til kende og bestrid den.',
    },
    'eu-gdpr:A7-3': {
      name: 'Ret til at trække samtykke tilbage (art. 7, stk. 3)',
      how: 'Træk et samtykke tilbage lige så let, som du gav det; hvad vi gjorde før, er fortsat lovligt.',
    },
    'eu-gdpr:A77': {
      name: 'Ret til at klage til en tilsynsmyndighed (art. 77)',
      how: 'Klag til tilsynsmyndigheden nævnt nedenfor eller til den, hvor du bor eller arbejder.',
    },
  },
};

export const REPORT_WORDS: Record<ReportLanguage, ReportWords> = { en: EN, nb: NB, da: DA };

/** Language tags a subject may send for each report language: Norwegian (`no`, `nn`) reads Bokmål. */
const TAGS: Record<string, ReportLanguage> = { en: 'en', nb: 'nb', no: 'nb', nn: 'nb', da: 'da' };

/** A report language by its tag (`nb`, `nb-NO`, `da-DK`, `en-GB`, any case); undefined for another language. */
export function reportLanguageOf(tag: string): ReportLanguage | undefined {
  const primary = tag.trim().toLowerCase().split('-')[0] ?? '';
  return Object.hasOwn(TAGS, primary) ? TAGS[primary] : undefined;
}

/**
 * The report language an `Accept-Language` header prefers (RFC 9110 §12.5.4: by weight, then in
 * order); English when it names none of them, or is absent.
 */
export function negotiateReportLanguage(acceptLanguage: string | undefined): ReportLanguage {
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
      return { language: reportLanguageOf(tag), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((r) => r.language !== undefined && r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return ranked[0]?.language ?? REPORT_LANGUAGES[0];
}
