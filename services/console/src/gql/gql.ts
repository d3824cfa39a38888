/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Queue($status: RequestStatus, $propagationOverdue: Boolean) {\n    requests(status: $status, propagationOverdue: $propagationOverdue) {\n      id\n      subjectId\n      type\n      status\n      receivedAt\n      dueAt\n      overdue\n      verifiedAt\n      verificationMethod\n      extendedMonths\n      propagationOverdue\n    }\n  }\n": typeof types.QueueDocument,
    "\n  mutation Verify($id: ID!, $method: VerificationMethod!) {\n    verifyIdentity(requestId: $id, method: $method) {\n      id\n      verifiedAt\n      verificationMethod\n    }\n  }\n": typeof types.VerifyDocument,
    "\n  mutation Extend($id: ID!, $months: Int!, $reason: String!) {\n    extendRequest(requestId: $id, months: $months, reason: $reason) {\n      id\n      dueAt\n      extendedMonths\n    }\n  }\n": typeof types.ExtendDocument,
    "\n  mutation Refuse($id: ID!, $reason: String!) {\n    refuseRequest(requestId: $id, reason: $reason) {\n      id\n      status\n    }\n  }\n": typeof types.RefuseDocument,
    "\n  fragment CertificateFields on SignedErasureCertificate {\n    certificate {\n      subjectId\n      erasedAt\n      reason\n      requestId\n      categoriesShredded\n      categoriesRetained {\n        category\n        basis\n        until\n        entries {\n          field\n          until\n          entry\n          basis\n        }\n      }\n      keysDestroyedAt\n      staleCopiesUnreadableBy\n      signingKeyId\n      recipients {\n        recipient\n        categories\n        notificationId\n      }\n    }\n    jws {\n      protected\n      payload\n      signature\n    }\n  }\n": typeof types.CertificateFieldsFragmentDoc,
    "\n  mutation Complete($id: ID!) {\n    completeRequest(requestId: $id) {\n      request {\n        id\n        status\n      }\n      certificate {\n        ...CertificateFields\n      }\n      link {\n        url\n        expiresAt\n      }\n    }\n  }\n": typeof types.CompleteDocument,
    "\n  query PropagationReceipts($subjectId: ID, $requestId: ID) {\n    propagationReceipts(subjectId: $subjectId, requestId: $requestId) {\n      receipt {\n        subjectId\n        requestId\n        erasureEventId\n        fields\n        entry\n        erasedAt\n        completedAt\n        signingKeyId\n        recipients {\n          recipient\n          notificationId\n          categories\n          deliveredAt\n          acknowledgedAt\n          acknowledgedVia\n        }\n      }\n      jws {\n        protected\n        payload\n        signature\n      }\n    }\n  }\n": typeof types.PropagationReceiptsDocument,
    "\n  query Propagation($subjectId: ID, $requestId: ID) {\n    propagation(subjectId: $subjectId, requestId: $requestId) {\n      id\n      recipient\n      action\n      categories\n      fields\n      entry\n      status\n      deliveredAt\n      acknowledgedAt\n      overdue\n    }\n  }\n": typeof types.PropagationDocument,
    "\n  query SigningKey {\n    signingKey {\n      kty\n      crv\n      x\n      kid\n    }\n  }\n": typeof types.SigningKeyDocument,
    "\n  query Register {\n    processingRegister {\n      version\n      controller {\n        name\n        contact\n      }\n      purposes {\n        name\n        description\n        requiresConsent\n      }\n      categories {\n        name\n        description\n        purposes\n        legalBasis\n        retention {\n          duration\n          trigger\n          description\n        }\n        erasure {\n          mode\n          law\n        }\n        recipients {\n          name\n          role\n        }\n      }\n    }\n  }\n": typeof types.RegisterDocument,
    "\n  query FindSubjects($identifier: IdentifierInput!, $purpose: String!) {\n    findSubjects(identifier: $identifier, purpose: $purpose) {\n      id\n      registeredAt\n      erasedAt\n    }\n  }\n": typeof types.FindSubjectsDocument,
    "\n  query SubjectValues($id: ID!, $purpose: String!) {\n    subject(id: $id, purpose: $purpose) {\n      id\n      items {\n        status\n        category\n        field\n        ... on PersonalDataValue {\n          value\n          legalBasis\n          entry\n        }\n        ... on PersonalDataDenied {\n          reason\n          entry\n        }\n        ... on PersonalDataErased {\n          erasedAt\n          erasureReason\n          entry\n        }\n      }\n    }\n  }\n": typeof types.SubjectValuesDocument,
    "\n  query SubjectReport($id: ID!) {\n    accessReport(subjectId: $id) {\n      report\n    }\n  }\n": typeof types.SubjectReportDocument,
    "\n  query Holds($subjectId: ID) {\n    legalHolds(subjectId: $subjectId) {\n      subjectId\n      category\n      entry\n      basis\n      until\n      source\n    }\n  }\n": typeof types.HoldsDocument,
    "\n  mutation PlaceHold($id: ID!, $category: String!, $basis: HoldBasis!, $until: DateTime!, $entry: String) {\n    placeLegalHold(subjectId: $id, category: $category, basis: $basis, until: $until, entry: $entry) {\n      revision\n    }\n  }\n": typeof types.PlaceHoldDocument,
    "\n  mutation ReleaseHold($id: ID!, $category: String!, $entry: String) {\n    releaseLegalHold(subjectId: $id, category: $category, entry: $entry) {\n      revision\n    }\n  }\n": typeof types.ReleaseHoldDocument,
    "\n  mutation Erase($id: ID!) {\n    eraseSubject(subjectId: $id, reason: subjectRequest) {\n      ...CertificateFields\n    }\n  }\n": typeof types.EraseDocument,
    "\n  query Retention($asOf: DateTime) {\n    retentionPreview(asOf: $asOf) {\n      asOf\n      examined\n      items {\n        subjectId\n        category\n        dueAt\n        rule\n        outcome\n        entries\n      }\n    }\n  }\n": typeof types.RetentionDocument,
    "\n  query Statistics {\n    statistics {\n      month\n      category\n      purpose\n      metric\n      count\n    }\n  }\n": typeof types.StatisticsDocument,
    "\n  query Me {\n    me {\n      role\n      name\n    }\n  }\n": typeof types.MeDocument,
    "\n  query MyData($id: ID!) {\n    accessReport(subjectId: $id) {\n      report\n    }\n    processingRegister {\n      purposes {\n        name\n        description\n        requiresConsent\n        directMarketing\n      }\n    }\n  }\n": typeof types.MyDataDocument,
    "\n  query SignedAccessReport($id: ID!) {\n    accessReport(subjectId: $id) {\n      text\n      signature {\n        type\n        kind\n        subjectId\n        generatedAt\n        sha256\n        bytes\n      }\n      jws {\n        protected\n        payload\n        signature\n      }\n    }\n  }\n": typeof types.SignedAccessReportDocument,
    "\n  query ReadableAccessReport($id: ID!, $language: String!) {\n    accessReport(subjectId: $id) {\n      html(language: $language)\n    }\n  }\n": typeof types.ReadableAccessReportDocument,
    "\n  query SignedExport($id: ID!) {\n    portabilityExport(subjectId: $id) {\n      text\n      signature {\n        type\n        kind\n        subjectId\n        generatedAt\n        sha256\n        bytes\n      }\n      jws {\n        protected\n        payload\n        signature\n      }\n    }\n  }\n": typeof types.SignedExportDocument,
    "\n  query MyRequests {\n    myRequests {\n      id\n      type\n      status\n      receivedAt\n      dueAt\n    }\n  }\n": typeof types.MyRequestsDocument,
    "\n  mutation GiveConsent($id: ID!, $purpose: String!, $noticeId: String!, $noticeVersion: String!) {\n    giveConsent(\n      subjectId: $id\n      purpose: $purpose\n      noticeId: $noticeId\n      noticeVersion: $noticeVersion\n      channel: webForm\n    ) {\n      revision\n    }\n  }\n": typeof types.GiveConsentDocument,
    "\n  mutation WithdrawConsent($id: ID!, $purpose: String!) {\n    withdrawConsent(subjectId: $id, purpose: $purpose) {\n      revision\n      shreddedCategories\n    }\n  }\n": typeof types.WithdrawConsentDocument,
    "\n  mutation Object($id: ID!, $purpose: String!) {\n    objectToProcessing(subjectId: $id, purpose: $purpose) {\n      revision\n    }\n  }\n": typeof types.ObjectDocument,
    "\n  mutation OpenMyRequest($id: ID!, $type: RequestType!, $at: DateTime!) {\n    openRequest(subjectId: $id, type: $type, receivedAt: $at, channel: webForm) {\n      id\n      status\n      dueAt\n    }\n  }\n": typeof types.OpenMyRequestDocument,
};
const documents: Documents = {
    "\n  query Queue($status: RequestStatus, $propagationOverdue: Boolean) {\n    requests(status: $status, propagationOverdue: $propagationOverdue) {\n      id\n      subjectId\n      type\n      status\n      receivedAt\n      dueAt\n      overdue\n      verifiedAt\n      verificationMethod\n      extendedMonths\n      propagationOverdue\n    }\n  }\n": types.QueueDocument,
    "\n  mutation Verify($id: ID!, $method: VerificationMethod!) {\n    verifyIdentity(requestId: $id, method: $method) {\n      id\n      verifiedAt\n      verificationMethod\n    }\n  }\n": types.VerifyDocument,
    "\n  mutation Extend($id: ID!, $months: Int!, $reason: String!) {\n    extendRequest(requestId: $id, months: $months, reason: $reason) {\n      id\n      dueAt\n      extendedMonths\n    }\n  }\n": types.ExtendDocument,
    "\n  mutation Refuse($id: ID!, $reason: String!) {\n    refuseRequest(requestId: $id, reason: $reason) {\n      id\n      status\n    }\n  }\n": types.RefuseDocument,
    "\n  fragment CertificateFields on SignedErasureCertificate {\n    certificate {\n      subjectId\n      erasedAt\n      reason\n      requestId\n      categoriesShredded\n      categoriesRetained {\n        category\n        basis\n        until\n        entries {\n          field\n          until\n          entry\n          basis\n        }\n      }\n      keysDestroyedAt\n      staleCopiesUnreadableBy\n      signingKeyId\n      recipients {\n        recipient\n        categories\n        notificationId\n      }\n    }\n    jws {\n      protected\n      payload\n      signature\n    }\n  }\n": types.CertificateFieldsFragmentDoc,
    "\n  mutation Complete($id: ID!) {\n    completeRequest(requestId: $id) {\n      request {\n        id\n        status\n      }\n      certificate {\n        ...CertificateFields\n      }\n      link {\n        url\n        expiresAt\n      }\n    }\n  }\n": types.CompleteDocument,
    "\n  query PropagationReceipts($subjectId: ID, $requestId: ID) {\n    propagationReceipts(subjectId: $subjectId, requestId: $requestId) {\n      receipt {\n        subjectId\n        requestId\n        erasureEventId\n        fields\n        entry\n        erasedAt\n        completedAt\n        signingKeyId\n        recipients {\n          recipient\n          notificationId\n          categories\n          deliveredAt\n          acknowledgedAt\n          acknowledgedVia\n        }\n      }\n      jws {\n        protected\n        payload\n        signature\n      }\n    }\n  }\n": types.PropagationReceiptsDocument,
    "\n  query Propagation($subjectId: ID, $requestId: ID) {\n    propagation(subjectId: $subjectId, requestId: $requestId) {\n      id\n      recipient\n      action\n      categories\n      fields\n      entry\n      status\n      deliveredAt\n      acknowledgedAt\n      overdue\n    }\n  }\n": types.PropagationDocument,
    "\n  query SigningKey {\n    signingKey {\n      kty\n      crv\n      x\n      kid\n    }\n  }\n": types.SigningKeyDocument,
    "\n  query Register {\n    processingRegister {\n      version\n      controller {\n        name\n        contact\n      }\n      purposes {\n        name\n        description\n        requiresConsent\n      }\n      categories {\n        name\n        description\n        purposes\n        legalBasis\n        retention {\n          duration\n          trigger\n          description\n        }\n        erasure {\n          mode\n          law\n        }\n        recipients {\n          name\n          role\n        }\n      }\n    }\n  }\n": types.RegisterDocument,
    "\n  query FindSubjects($identifier: IdentifierInput!, $purpose: String!) {\n    findSubjects(identifier: $identifier, purpose: $purpose) {\n      id\n      registeredAt\n      erasedAt\n    }\n  }\n": types.FindSubjectsDocument,
    "\n  query SubjectValues($id: ID!, $purpose: String!) {\n    subject(id: $id, purpose: $purpose) {\n      id\n      items {\n        status\n        category\n        field\n        ... on PersonalDataValue {\n          value\n          legalBasis\n          entry\n        }\n        ... on PersonalDataDenied {\n          reason\n          entry\n        }\n        ... on PersonalDataErased {\n          erasedAt\n          erasureReason\n          entry\n        }\n      }\n    }\n  }\n": types.SubjectValuesDocument,
    "\n  query SubjectReport($id: ID!) {\n    accessReport(subjectId: $id) {\n      report\n    }\n  }\n": types.SubjectReportDocument,
    "\n  query Holds($subjectId: ID) {\n    legalHolds(subjectId: $subjectId) {\n      subjectId\n      category\n      entry\n      basis\n      until\n      source\n    }\n  }\n": types.HoldsDocument,
    "\n  mutation PlaceHold($id: ID!, $category: String!, $basis: HoldBasis!, $until: DateTime!, $entry: String) {\n    placeLegalHold(subjectId: $id, category: $category, basis: $basis, until: $until, entry: $entry) {\n      revision\n    }\n  }\n": types.PlaceHoldDocument,
    "\n  mutation ReleaseHold($id: ID!, $category: String!, $entry: String) {\n    releaseLegalHold(subjectId: $id, category: $category, entry: $entry) {\n      revision\n    }\n  }\n": types.ReleaseHoldDocument,
    "\n  mutation Erase($id: ID!) {\n    eraseSubject(subjectId: $id, reason: subjectRequest) {\n      ...CertificateFields\n    }\n  }\n": types.EraseDocument,
    "\n  query Retention($asOf: DateTime) {\n    retentionPreview(asOf: $asOf) {\n      asOf\n      examined\n      items {\n        subjectId\n        category\n        dueAt\n        rule\n        outcome\n        entries\n      }\n    }\n  }\n": types.RetentionDocument,
    "\n  query Statistics {\n    statistics {\n      month\n      category\n      purpose\n      metric\n      count\n    }\n  }\n": types.StatisticsDocument,
    "\n  query Me {\n    me {\n      role\n      name\n    }\n  }\n": types.MeDocument,
    "\n  query MyData($id: ID!) {\n    accessReport(subjectId: $id) {\n      report\n    }\n    processingRegister {\n      purposes {\n        name\n        description\n        requiresConsent\n        directMarketing\n      }\n    }\n  }\n": types.MyDataDocument,
    "\n  query SignedAccessReport($id: ID!) {\n    accessReport(subjectId: $id) {\n      text\n      signature {\n        type\n        kind\n        subjectId\n        generatedAt\n        sha256\n        bytes\n      }\n      jws {\n        protected\n        payload\n        signature\n      }\n    }\n  }\n": types.SignedAccessReportDocument,
    "\n  query ReadableAccessReport($id: ID!, $language: String!) {\n    accessReport(subjectId: $id) {\n      html(language: $language)\n    }\n  }\n": types.ReadableAccessReportDocument,
    "\n  query SignedExport($id: ID!) {\n    portabilityExport(subjectId: $id) {\n      text\n      signature {\n        type\n        kind\n        subjectId\n        generatedAt\n        sha256\n        bytes\n      }\n      jws {\n        protected\n        payload\n        signature\n      }\n    }\n  }\n": types.SignedExportDocument,
    "\n  query MyRequests {\n    myRequests {\n      id\n      type\n      status\n      receivedAt\n      dueAt\n    }\n  }\n": types.MyRequestsDocument,
    "\n  mutation GiveConsent($id: ID!, $purpose: String!, $noticeId: String!, $noticeVersion: String!) {\n    giveConsent(\n      subjectId: $id\n      purpose: $purpose\n      noticeId: $noticeId\n      noticeVersion: $noticeVersion\n      channel: webForm\n    ) {\n      revision\n    }\n  }\n": types.GiveConsentDocument,
    "\n  mutation WithdrawConsent($id: ID!, $purpose: String!) {\n    withdrawConsent(subjectId: $id, purpose: $purpose) {\n      revision\n      shreddedCategories\n    }\n  }\n": types.WithdrawConsentDocument,
    "\n  mutation Object($id: ID!, $purpose: String!) {\n    objectToProcessing(subjectId: $id, purpose: $purpose) {\n      revision\n    }\n  }\n": types.ObjectDocument,
    "\n  mutation OpenMyRequest($id: ID!, $type: RequestType!, $at: DateTime!) {\n    openRequest(subjectId: $id, type: $type, receivedAt: $at, channel: webForm) {\n      id\n      status\n      dueAt\n    }\n  }\n": types.OpenMyRequestDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Queue($status: RequestStatus, $propagationOverdue: Boolean) {\n    requests(status: $status, propagationOverdue: $propagationOverdue) {\n      id\n      subjectId\n      type\n      status\n      receivedAt\n      dueAt\n      overdue\n      verifiedAt\n      verificationMethod\n      extendedMonths\n      propagationOverdue\n    }\n  }\n"): (typeof documents)["\n  query Queue($status: RequestStatus, $propagationOverdue: Boolean) {\n    requests(status: $status, propagationOverdue: $propagationOverdue) {\n      id\n      subjectId\n      type\n      status\n      receivedAt\n      dueAt\n      overdue\n      verifiedAt\n      verificationMethod\n      extendedMonths\n      propagationOverdue\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Verify($id: ID!, $method: VerificationMethod!) {\n    verifyIdentity(requestId: $id, method: $method) {\n      id\n      verifiedAt\n      verificationMethod\n    }\n  }\n"): (typeof documents)["\n  mutation Verify($id: ID!, $method: VerificationMethod!) {\n    verifyIdentity(requestId: $id, method: $method) {\n      id\n      verifiedAt\n      verificationMethod\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Extend($id: ID!, $months: Int!, $reason: String!) {\n    extendRequest(requestId: $id, months: $months, reason: $reason) {\n      id\n      dueAt\n      extendedMonths\n    }\n  }\n"): (typeof documents)["\n  mutation Extend($id: ID!, $months: Int!, $reason: String!) {\n    extendRequest(requestId: $id, months: $months, reason: $reason) {\n      id\n      dueAt\n      extendedMonths\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Refuse($id: ID!, $reason: String!) {\n    refuseRequest(requestId: $id, reason: $reason) {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation Refuse($id: ID!, $reason: String!) {\n    refuseRequest(requestId: $id, reason: $reason) {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CertificateFields on SignedErasureCertificate {\n    certificate {\n      subjectId\n      erasedAt\n      reason\n      requestId\n      categoriesShredded\n      categoriesRetained {\n        category\n        basis\n        until\n        entries {\n          field\n          until\n          entry\n          basis\n        }\n      }\n      keysDestroyedAt\n      staleCopiesUnreadableBy\n      signingKeyId\n      recipients {\n        recipient\n        categories\n        notificationId\n      }\n    }\n    jws {\n      protected\n      payload\n      signature\n    }\n  }\n"): (typeof documents)["\n  fragment CertificateFields on SignedErasureCertificate {\n    certificate {\n      subjectId\n      erasedAt\n      reason\n      requestId\n      categoriesShredded\n      categoriesRetained {\n        category\n        basis\n        until\n        entries {\n          field\n          until\n          entry\n          basis\n        }\n      }\n      keysDestroyedAt\n      staleCopiesUnreadableBy\n      signingKeyId\n      recipients {\n        recipient\n        categories\n        notificationId\n      }\n    }\n    jws {\n      protected\n      payload\n      signature\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Complete($id: ID!) {\n    completeRequest(requestId: $id) {\n      request {\n        id\n        status\n      }\n      certificate {\n        ...CertificateFields\n      }\n      link {\n        url\n        expiresAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Complete($id: ID!) {\n    completeRequest(requestId: $id) {\n      request {\n        id\n        status\n      }\n      certificate {\n        ...CertificateFields\n      }\n      link {\n        url\n        expiresAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PropagationReceipts($subjectId: ID, $requestId: ID) {\n    propagationReceipts(subjectId: $subjectId, requestId: $requestId) {\n      receipt {\n        subjectId\n        requestId\n        erasureEventId\n        fields\n        entry\n        erasedAt\n        completedAt\n        signingKeyId\n        recipients {\n          recipient\n          notificationId\n          categories\n          deliveredAt\n          acknowledgedAt\n          acknowledgedVia\n        }\n      }\n      jws {\n        protected\n        payload\n        signature\n      }\n    }\n  }\n"): (typeof documents)["\n  query PropagationReceipts($subjectId: ID, $requestId: ID) {\n    propagationReceipts(subjectId: $subjectId, requestId: $requestId) {\n      receipt {\n        subjectId\n        requestId\n        erasureEventId\n        fields\n        entry\n        erasedAt\n        completedAt\n        signingKeyId\n        recipients {\n          recipient\n          notificationId\n          categories\n          deliveredAt\n          acknowledgedAt\n          acknowledgedVia\n        }\n      }\n      jws {\n        protected\n        payload\n        signature\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Propagation($subjectId: ID, $requestId: ID) {\n    propagation(subjectId: $subjectId, requestId: $requestId) {\n      id\n      recipient\n      action\n      categories\n      fields\n      entry\n      status\n      deliveredAt\n      acknowledgedAt\n      overdue\n    }\n  }\n"): (typeof documents)["\n  query Propagation($subjectId: ID, $requestId: ID) {\n    propagation(subjectId: $subjectId, requestId: $requestId) {\n      id\n      recipient\n      action\n      categories\n      fields\n      entry\n      status\n      deliveredAt\n      acknowledgedAt\n      overdue\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SigningKey {\n    signingKey {\n      kty\n      crv\n      x\n      kid\n    }\n  }\n"): (typeof documents)["\n  query SigningKey {\n    signingKey {\n      kty\n      crv\n      x\n      kid\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Register {\n    processingRegister {\n      version\n      controller {\n        name\n        contact\n      }\n      purposes {\n        name\n        description\n        requiresConsent\n      }\n      categories {\n        name\n        description\n        purposes\n        legalBasis\n        retention {\n          duration\n          trigger\n          description\n        }\n        erasure {\n          mode\n          law\n        }\n        recipients {\n          name\n          role\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Register {\n    processingRegister {\n      version\n      controller {\n        name\n        contact\n      }\n      purposes {\n        name\n        description\n        requiresConsent\n      }\n      categories {\n        name\n        description\n        purposes\n        legalBasis\n        retention {\n          duration\n          trigger\n          description\n        }\n        erasure {\n          mode\n          law\n        }\n        recipients {\n          name\n          role\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FindSubjects($identifier: IdentifierInput!, $purpose: String!) {\n    findSubjects(identifier: $identifier, purpose: $purpose) {\n      id\n      registeredAt\n      erasedAt\n    }\n  }\n"): (typeof documents)["\n  query FindSubjects($identifier: IdentifierInput!, $purpose: String!) {\n    findSubjects(identifier: $identifier, purpose: $purpose) {\n      id\n      registeredAt\n      erasedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SubjectValues($id: ID!, $purpose: String!) {\n    subject(id: $id, purpose: $purpose) {\n      id\n      items {\n        status\n        category\n        field\n        ... on PersonalDataValue {\n          value\n          legalBasis\n          entry\n        }\n        ... on PersonalDataDenied {\n          reason\n          entry\n        }\n        ... on PersonalDataErased {\n          erasedAt\n          erasureReason\n          entry\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query SubjectValues($id: ID!, $purpose: String!) {\n    subject(id: $id, purpose: $purpose) {\n      id\n      items {\n        status\n        category\n        field\n        ... on PersonalDataValue {\n          value\n          legalBasis\n          entry\n        }\n        ... on PersonalDataDenied {\n          reason\n          entry\n        }\n        ... on PersonalDataErased {\n          erasedAt\n          erasureReason\n          entry\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SubjectReport($id: ID!) {\n    accessReport(subjectId: $id) {\n      report\n    }\n  }\n"): (typeof documents)["\n  query SubjectReport($id: ID!) {\n    accessReport(subjectId: $id) {\n      report\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Holds($subjectId: ID) {\n    legalHolds(subjectId: $subjectId) {\n      subjectId\n      category\n      entry\n      basis\n      until\n      source\n    }\n  }\n"): (typeof documents)["\n  query Holds($subjectId: ID) {\n    legalHolds(subjectId: $subjectId) {\n      subjectId\n      category\n      entry\n      basis\n      until\n      source\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PlaceHold($id: ID!, $category: String!, $basis: HoldBasis!, $until: DateTime!, $entry: String) {\n    placeLegalHold(subjectId: $id, category: $category, basis: $basis, until: $until, entry: $entry) {\n      revision\n    }\n  }\n"): (typeof documents)["\n  mutation PlaceHold($id: ID!, $category: String!, $basis: HoldBasis!, $until: DateTime!, $entry: String) {\n    placeLegalHold(subjectId: $id, category: $category, basis: $basis, until: $until, entry: $entry) {\n      revision\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReleaseHold($id: ID!, $category: String!, $entry: String) {\n    releaseLegalHold(subjectId: $id, category: $category, entry: $entry) {\n      revision\n    }\n  }\n"): (typeof documents)["\n  mutation ReleaseHold($id: ID!, $category: String!, $entry: String) {\n    releaseLegalHold(subjectId: $id, category: $category, entry: $entry) {\n      revision\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Erase($id: ID!) {\n    eraseSubject(subjectId: $id, reason: subjectRequest) {\n      ...CertificateFields\n    }\n  }\n"): (typeof documents)["\n  mutation Erase($id: ID!) {\n    eraseSubject(subjectId: $id, reason: subjectRequest) {\n      ...CertificateFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Retention($asOf: DateTime) {\n    retentionPreview(asOf: $asOf) {\n      asOf\n      examined\n      items {\n        subjectId\n        category\n        dueAt\n        rule\n        outcome\n        entries\n      }\n    }\n  }\n"): (typeof documents)["\n  query Retention($asOf: DateTime) {\n    retentionPreview(asOf: $asOf) {\n      asOf\n      examined\n      items {\n        subjectId\n        category\n        dueAt\n        rule\n        outcome\n        entries\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Statistics {\n    statistics {\n      month\n      category\n      purpose\n      metric\n      count\n    }\n  }\n"): (typeof documents)["\n  query Statistics {\n    statistics {\n      month\n      category\n      purpose\n      metric\n      count\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      role\n      name\n    }\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      role\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyData($id: ID!) {\n    accessReport(subjectId: $id) {\n      report\n    }\n    processingRegister {\n      purposes {\n        name\n        description\n        requiresConsent\n        directMarketing\n      }\n    }\n  }\n"): (typeof documents)["\n  query MyData($id: ID!) {\n    accessReport(subjectId: $id) {\n      report\n    }\n    processingRegister {\n      purposes {\n        name\n        description\n        requiresConsent\n        directMarketing\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SignedAccessReport($id: ID!) {\n    accessReport(subjectId: $id) {\n      text\n      signature {\n        type\n        kind\n        subjectId\n        generatedAt\n        sha256\n        bytes\n      }\n      jws {\n        protected\n        payload\n        signature\n      }\n    }\n  }\n"): (typeof documents)["\n  query SignedAccessReport($id: ID!) {\n    accessReport(subjectId: $id) {\n      text\n      signature {\n        type\n        kind\n        subjectId\n        generatedAt\n        sha256\n        bytes\n      }\n      jws {\n        protected\n        payload\n        signature\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReadableAccessReport($id: ID!, $language: String!) {\n    accessReport(subjectId: $id) {\n      html(language: $language)\n    }\n  }\n"): (typeof documents)["\n  query ReadableAccessReport($id: ID!, $language: String!) {\n    accessReport(subjectId: $id) {\n      html(language: $language)\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SignedExport($id: ID!) {\n    portabilityExport(subjectId: $id) {\n      text\n      signature {\n        type\n        kind\n        subjectId\n        generatedAt\n        sha256\n        bytes\n      }\n      jws {\n        protected\n        payload\n        signature\n      }\n    }\n  }\n"): (typeof documents)["\n  query SignedExport($id: ID!) {\n    portabilityExport(subjectId: $id) {\n      text\n      signature {\n        type\n        kind\n        subjectId\n        generatedAt\n        sha256\n        bytes\n      }\n      jws {\n        protected\n        payload\n        signature\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyRequests {\n    myRequests {\n      id\n      type\n      status\n      receivedAt\n      dueAt\n    }\n  }\n"): (typeof documents)["\n  query MyRequests {\n    myRequests {\n      id\n      type\n      status\n      receivedAt\n      dueAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation GiveConsent($id: ID!, $purpose: String!, $noticeId: String!, $noticeVersion: String!) {\n    giveConsent(\n      subjectId: $id\n      purpose: $purpose\n      noticeId: $noticeId\n      noticeVersion: $noticeVersion\n      channel: webForm\n    ) {\n      revision\n    }\n  }\n"): (typeof documents)["\n  mutation GiveConsent($id: ID!, $purpose: String!, $noticeId: String!, $noticeVersion: String!) {\n    giveConsent(\n      subjectId: $id\n      purpose: $purpose\n      noticeId: $noticeId\n      noticeVersion: $noticeVersion\n      channel: webForm\n    ) {\n      revision\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WithdrawConsent($id: ID!, $purpose: String!) {\n    withdrawConsent(subjectId: $id, purpose: $purpose) {\n      revision\n      shreddedCategories\n    }\n  }\n"): (typeof documents)["\n  mutation WithdrawConsent($id: ID!, $purpose: String!) {\n    withdrawConsent(subjectId: $id, purpose: $purpose) {\n      revision\n      shreddedCategories\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Object($id: ID!, $purpose: String!) {\n    objectToProcessing(subjectId: $id, purpose: $purpose) {\n      revision\n    }\n  }\n"): (typeof documents)["\n  mutation Object($id: ID!, $purpose: String!) {\n    objectToProcessing(subjectId: $id, purpose: $purpose) {\n      revision\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OpenMyRequest($id: ID!, $type: RequestType!, $at: DateTime!) {\n    openRequest(subjectId: $id, type: $type, receivedAt: $at, channel: webForm) {\n      id\n      status\n      dueAt\n    }\n  }\n"): (typeof documents)["\n  mutation OpenMyRequest($id: ID!, $type: RequestType!, $at: DateTime!) {\n    openRequest(subjectId: $id, type: $type, receivedAt: $at, channel: webForm) {\n      id\n      status\n      dueAt\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;