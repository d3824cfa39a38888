import { randomBytes } from 'node:crypto';

import { fixtureRegister, type ProcessingRegister, type Vault } from '@pdv/vault';

/** Categories of recordings beside the fixture's own `callRecordings`, each with `FIELDS` document fields. */
export const RECORDING_CATEGORIES = ['callRecordings', 'voicemails', 'meetingRecordings', 'supportCalls'] as const;
const FIELDS = 20;

/** The fixture register, with room for many large values in several categories that an erasure shreds. */
export function recordingsRegister(): ProcessingRegister {
  const register = fixtureRegister();
  const base = register.categories.callRecordings!;
  const fields = Object.fromEntries(Array.from({ length: FIELDS }, (_, i) => [`r${i}`, { ...base.fields.recording! }]));
  for (const name of RECORDING_CATEGORIES) register.categories[name] = { ...base, name, description: name, fields };
  return register;
}

/**
 * Registers a subject and records `count` recordings of `bytes` bytes each, spread over the
 * recording categories: what the download carried (80 of about 300 KB).
 */
export async function subjectWithRecordings(vault: Vault, count = 80, bytes = 300_000): Promise<string> {
  const actor = { actor: 'service:crm' };
  const { subjectId } = await vault.commands.registerSubject(actor);
  for (let i = 0; i < count; i += FIELDS) {
    const category = RECORDING_CATEGORIES[(i / FIELDS) % RECORDING_CATEGORIES.length]!;
    const items = Array.from({ length: Math.min(FIELDS, count - i) }, (_, j) => ({
      category,
      field: `r${j}`,
      value: {
        name: `call-${i + j}.ogg`,
        mediaType: 'audio/ogg',
        contentBase64: randomBytes(bytes).toString('base64'),
      },
      purpose: 'contract',
      legalBasis: 'contract',
      source: 'subject',
    }));
    await vault.execute(subjectId, { type: 'RecordPersonalData', items }, actor);
  }
  return subjectId;
}
