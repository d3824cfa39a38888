/** The parts of the signed access report (schema/access-report.schema.json) the pages show. */
export interface ReportItem {
  category: string;
  field?: string;
  value?: unknown;
  purpose?: string;
  legalBasis?: string;
  categoryDescription?: string;
  purposes?: { purpose: string; description: string }[];
  recipients?: {
    categories: { name: string; role: string; purpose?: string | null }[];
    actual?: { actor: string; purpose: string; at: string; firstAt?: string; reads?: number }[];
  };
  retention?: { rule?: string | null; duration?: string; endsAt?: string | null };
  status?: { state: string; basis?: string; until?: string };
  erasedAt?: string;
}

export interface AccessReport {
  subjectId: string;
  generatedAt: string;
  items: ReportItem[];
  consents: {
    purpose: string;
    given: boolean;
    at: string;
    proofs?: {
      givenAt?: string;
      withdrawnAt?: string | null;
      notice?: { id: string; version: string } | null;
      channel?: string;
    }[];
  }[];
  objections: { purpose: string; since: string; overriddenAt?: string }[];
  restrictions: { category: string; since?: string }[];
}

/** Items by category, in the order they first appear. */
export function byCategory(items: readonly ReportItem[]): [string, ReportItem[]][] {
  const groups = new Map<string, ReportItem[]>();
  for (const item of items) {
    const list = groups.get(item.category) ?? [];
    list.push(item);
    groups.set(item.category, list);
  }
  return [...groups.entries()];
}

/** A value as a person reads it: text as it is, an address or document as its parts. */
export function shown(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object')
    return Object.values(value as Record<string, unknown>)
      .map(shown)
      .join(', ');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Offers a signed document as a file: its exact signed text, the digest and the JWS that covers it. */
export function download(name: string, signed: { text: string; signature: unknown; jws: unknown }): void {
  const body = JSON.stringify({ signature: signed.signature, jws: signed.jws, text: signed.text }, null, 2);
  saveFile(name, body, 'application/json');
}

/**
 * Offers text the page fetched (in a POST body) as a file. The object URL names a random id, never the subject, and
 * the file is saved rather than opened in a tab, where it would inherit this page's Content-Security-Policy.
 */
export function saveFile(name: string, body: string, type: string): void {
  const url = URL.createObjectURL(new Blob([body], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
