import type { SweepItem } from '../commands/sweepRetention.js';
import type {
  CategorySpec,
  ErasurePolicy,
  FieldSpec,
  ProcessingRegister,
  PurposeSpec,
  RetentionRule,
} from '../domain/register.js';
import type { TrackedRow } from '../domain/requests.js';
import type { HoldView } from '../ports/ViewStore.js';
import type { ReadItem, SubjectRead } from '../read/SubjectReader.js';
import type { ErasureCertificate } from '../rights/eraseSubject.js';
import type { SignedReport } from '../rights/SubjectRights.js';

/**
 * What the resolvers of each GraphQL type receive as parent (graphql-codegen mappers): the
 * service layer's own objects, so resolvers stay thin.
 */

/** A subject as read for one purpose: the read is what the DataLoader batched. */
export interface SubjectModel {
  read: SubjectRead;
  purpose: string;
}

export type ItemModel = ReadItem;
export type ValueItemModel = Extract<ReadItem, { status: 'VALUE' }>;
export type DeniedItemModel = Extract<ReadItem, { status: 'DENIED' }>;
export type ErasedItemModel = Extract<ReadItem, { status: 'ERASED' }>;

export type RegisterModel = ProcessingRegister;
export type PurposeModel = PurposeSpec;
export type CategoryModel = CategorySpec;
export type FieldModel = FieldSpec & { name: string };
export type RetentionModel = RetentionRule;
export type ErasurePolicyModel = ErasurePolicy;

/** A request as the read models track it (metadata only). */
export type RequestModel = TrackedRow;

/** A signed report as the rights service makes it: its text, digest, JWS and what it discloses. */
export type SignedReportModel = SignedReport;
/** An open Art. 14 obligation as the read models track it. */
export type NotificationModel = TrackedRow;

/** A row of a sweep's report (`entries` absent where the period is not per entry). */
export type PreviewItemModel = SweepItem;

/** A hold as the read models list it; its `entries` are worked out from the subject's state when asked for. */
export type HoldModel = HoldView;

/** A category an erasure kept, as its certificate states it (`entries` absent where the period is not per entry). */
export type RetainedCategoryModel = ErasureCertificate['categoriesRetained'][number];
