/**
 * The checks of the register's `recipients` (Art. 19) that need the rest of the register: the
 * categories and purposes they name exist, each internal service is declared once, names are names.
 */
import type { NotificationRecipient } from '../domain/register.js';

type Segment = string | number;

/** As `loadRegister`'s own semantic issues: a path into the raw YAML and a message. */
export interface RecipientIssue {
  path: Segment[];
  message: string;
  at?: 'key';
}

const IDENTIFIER = /^[a-z][a-zA-Z0-9]*$/;
const asMap = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Every problem of the raw register's `recipients` that its schema cannot see. */
export function recipientIssues(raw: unknown): RecipientIssue[] {
  const root = asMap(raw);
  const recipients = asMap(root?.['recipients']);
  if (!root || !recipients) return [];
  const categories = asMap(root['categories']) ?? {};
  const purposes = asMap(root['purposes']) ?? {};
  const out: RecipientIssue[] = [];
  const services = new Map<string, string>();
  for (const [name, value] of Object.entries(recipients)) {
    const base = ['recipients', name];
    if (!IDENTIFIER.test(name) || name in Object.prototype) {
      out.push({ path: base, message: `"${name}" is not a name: use camelCase letters and digits`, at: 'key' });
    }
    const r = asMap(value);
    asList(r?.['categories']).forEach((c, i) => {
      if (typeof c === 'string' && !Object.hasOwn(categories, c))
        out.push({ path: [...base, 'categories', i], message: `category "${c}" is not declared in categories` });
    });
    asList(r?.['purposes']).forEach((p, i) => {
      if (typeof p === 'string' && !Object.hasOwn(purposes, p))
        out.push({ path: [...base, 'purposes', i], message: `purpose "${p}" is not declared in purposes` });
    });
    const service = r?.['service'];
    if (typeof service === 'string') {
      const other = services.get(service);
      if (other !== undefined) {
        out.push({
          path: [...base, 'service'],
          message: `service "${service}" is already the recipient "${other}": declare each service once`,
        });
      } else services.set(service, name);
    }
  }
  return out;
}

/** The parsed recipients with their names filled in from the map's keys. */
export function namedRecipients(
  recipients: Record<string, Omit<NotificationRecipient, 'name'>>,
): Record<string, NotificationRecipient> {
  const out: Record<string, NotificationRecipient> = {};
  for (const [name, r] of Object.entries(recipients)) out[name] = { name, ...r };
  return out;
}
