import { useState } from 'react';
import { useMutation } from 'urql';

import { t } from '../shared/i18n.js';
import type { AccessReport } from '../shared/report.js';
import { GiveConsentMutation, ObjectMutation, WithdrawConsentMutation } from './documents.js';

/** The privacy notice these pages show beside each consent: its id and version are recorded with a consent given. */
export const NOTICE = { id: 'privacy-centre', version: '2026-12' } as const;

interface Purpose {
  name: string;
  description: string;
  requiresConsent: boolean;
  directMarketing: boolean;
}

interface ChoiceProps {
  id: string;
  report: AccessReport;
  purposes: readonly Purpose[];
  onChange: () => void;
}

/** One switch per purpose that needs consent; off withdraws at once, on records the notice version shown. */
export function Consents({ id, report, purposes, onChange }: ChoiceProps) {
  const [give, giveConsent] = useMutation(GiveConsentMutation);
  const [withdraw, withdrawConsent] = useMutation(WithdrawConsentMutation);
  const given = new Map(report.consents.map((c) => [c.purpose, c.given]));
  const toggle = async (purpose: string, on: boolean) => {
    const res = on
      ? await giveConsent({ id, purpose, noticeId: NOTICE.id, noticeVersion: NOTICE.version })
      : await withdrawConsent({ id, purpose });
    if (!res.error) onChange();
  };
  const error = give.error ?? withdraw.error;
  return (
    <section aria-labelledby="consents">
      <h2 id="consents">{t.consents}</h2>
      <p>
        {t.consentIntro} {t.notice} {NOTICE.id}, {t.version} {NOTICE.version}.
      </p>
      {error && <p role="alert">{error.message}</p>}
      <ul className="choices">
        {purposes
          .filter((p) => p.requiresConsent)
          .map((p) => (
            <li key={p.name}>
              <input
                type="checkbox"
                role="switch"
                id={`consent-${p.name}`}
                checked={given.get(p.name) ?? false}
                disabled={give.fetching || withdraw.fetching}
                onChange={(e) => void toggle(p.name, e.target.checked)}
              />
              <label htmlFor={`consent-${p.name}`}>{p.description}</label>
            </li>
          ))}
      </ul>
    </section>
  );
}

/** Art. 21: object to a purpose resting on legitimate interest, and to direct marketing at any time. */
export function Objections({ id, report, purposes, onChange }: ChoiceProps) {
  const [state, object] = useMutation(ObjectMutation);
  const [pending, setPending] = useState<string>();
  const objected = new Set(report.objections.filter((o) => !o.overriddenAt).map((o) => o.purpose));
  const open = new Set(report.items.filter((i) => i.legalBasis === 'legitimateInterest').map((i) => i.purpose));
  const shown = purposes.filter((p) => p.directMarketing || open.has(p.name));
  const onObject = async (purpose: string) => {
    setPending(purpose);
    const res = await object({ id, purpose });
    setPending(undefined);
    if (!res.error) onChange();
  };
  return (
    <section aria-labelledby="objections">
      <h2 id="objections">{t.objections}</h2>
      {state.error && <p role="alert">{state.error.message}</p>}
      <ul className="choices">
        {shown.map((p) => (
          <li key={p.name}>
            <span>{p.description}</span>
            {objected.has(p.name) ? (
              <span className="tag">{t.objected}</span>
            ) : (
              <button
                type="button"
                className="secondary"
                aria-label={`${t.object}: ${p.description}`}
                disabled={pending !== undefined}
                onClick={() => void onObject(p.name)}
              >
                {t.object}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
