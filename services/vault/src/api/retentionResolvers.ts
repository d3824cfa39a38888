import { entryEnds, entryEvent } from '../domain/retention.js';
import type { LegalHoldResolvers, RetentionPreviewItemResolvers } from './generated/graphql.js';

/**
 * A hold on a category whose period runs per entry (a debtor's debt-collection cases): when each of
 * the subject's entries goes with the hold counted. Read from the subject's current state, only where
 * asked for and only for such categories, so listing holds costs what it did.
 */
export const LegalHold: LegalHoldResolvers = {
  entry: (hold) => hold.entry ?? null,
  /** A hold on one entry lists that entry alone. */
  async entries(hold, _args, ctx) {
    const { register } = ctx.vault;
    if (!entryEvent(register.categories[hold.category])) return null;
    const state = await ctx.vault.commands.load(hold.subjectId);
    return entryEnds(state, register, hold.category)
      .filter((e) => hold.entry === undefined || e.entry === hold.entry)
      .map((e) => ({ entry: e.entry, until: e.at }));
  },
};

export const RetentionPreviewItem: RetentionPreviewItemResolvers = { entries: (i) => i.entries ?? null };
