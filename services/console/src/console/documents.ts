import { graphql } from '../gql/index.js';

export const RequestsQuery = graphql(`
  query Queue($status: RequestStatus, $propagationOverdue: Boolean) {
    requests(status: $status, propagationOverdue: $propagationOverdue) {
      id
      subjectId
      type
      status
      receivedAt
      dueAt
      overdue
      verifiedAt
      verificationMethod
      extendedMonths
      propagationOverdue
    }
  }
`);

export const VerifyMutation = graphql(`
  mutation Verify($id: ID!, $method: VerificationMethod!) {
    verifyIdentity(requestId: $id, method: $method) {
      id
      verifiedAt
      verificationMethod
    }
  }
`);

export const ExtendMutation = graphql(`
  mutation Extend($id: ID!, $months: Int!, $reason: String!) {
    extendRequest(requestId: $id, months: $months, reason: $reason) {
      id
      dueAt
      extendedMonths
    }
  }
`);

export const RefuseMutation = graphql(`
  mutation Refuse($id: ID!, $reason: String!) {
    refuseRequest(requestId: $id, reason: $reason) {
      id
      status
    }
  }
`);

export const CertificateFields = graphql(`
  fragment CertificateFields on SignedErasureCertificate {
    certificate {
      subjectId
      erasedAt
      reason
      requestId
      categoriesShredded
      categoriesRetained {
        category
        basis
        until
        entries {
          field
          until
          entry
          basis
        }
      }
      keysDestroyedAt
      staleCopiesUnreadableBy
      signingKeyId
      recipients {
        recipient
        categories
        notificationId
      }
    }
    jws {
      protected
      payload
      signature
    }
  }
`);

export const CompleteMutation = graphql(`
  mutation Complete($id: ID!) {
    completeRequest(requestId: $id) {
      request {
        id
        status
      }
      certificate {
        ...CertificateFields
      }
      link {
        url
        expiresAt
      }
    }
  }
`);

export const PropagationReceiptsQuery = graphql(`
  query PropagationReceipts($subjectId: ID, $requestId: ID) {
    propagationReceipts(subjectId: $subjectId, requestId: $requestId) {
      receipt {
        subjectId
        requestId
        erasureEventId
        fields
        entry
        erasedAt
        completedAt
        signingKeyId
        recipients {
          recipient
          notificationId
          categories
          deliveredAt
          acknowledgedAt
          acknowledgedVia
        }
      }
      jws {
        protected
        payload
        signature
      }
    }
  }
`);

export const PropagationQuery = graphql(`
  query Propagation($subjectId: ID, $requestId: ID) {
    propagation(subjectId: $subjectId, requestId: $requestId) {
      id
      recipient
      action
      categories
      fields
      entry
      status
      deliveredAt
      acknowledgedAt
      overdue
    }
  }
`);

export const SigningKeyQuery = graphql(`
  query SigningKey {
    signingKey {
      kty
      crv
      x
      kid
    }
  }
`);

export const RegisterQuery = graphql(`
  query Register {
    processingRegister {
      version
      controller {
        name
        contact
      }
      purposes {
        name
        description
        requiresConsent
      }
      categories {
        name
        description
        purposes
        legalBasis
        retention {
          duration
          trigger
          description
        }
        erasure {
          mode
          law
        }
        recipients {
          name
          role
        }
      }
    }
  }
`);

export const FindSubjectsQuery = graphql(`
  query FindSubjects($identifier: IdentifierInput!, $purpose: String!) {
    findSubjects(identifier: $identifier, purpose: $purpose) {
      id
      registeredAt
      erasedAt
    }
  }
`);

export const SubjectValuesQuery = graphql(`
  query SubjectValues($id: ID!, $purpose: String!) {
    subject(id: $id, purpose: $purpose) {
      id
      items {
        status
        category
        field
        ... on PersonalDataValue {
          value
          legalBasis
          entry
        }
        ... on PersonalDataDenied {
          reason
          entry
        }
        ... on PersonalDataErased {
          erasedAt
          erasureReason
          entry
        }
      }
    }
  }
`);

export const SubjectReportQuery = graphql(`
  query SubjectReport($id: ID!) {
    accessReport(subjectId: $id) {
      report
    }
  }
`);

export const HoldsQuery = graphql(`
  query Holds($subjectId: ID) {
    legalHolds(subjectId: $subjectId) {
      subjectId
      category
      entry
      basis
      until
      source
    }
  }
`);

export const PlaceHoldMutation = graphql(`
  mutation PlaceHold($id: ID!, $category: String!, $basis: HoldBasis!, $until: DateTime!, $entry: String) {
    placeLegalHold(subjectId: $id, category: $category, basis: $basis, until: $until, entry: $entry) {
      revision
    }
  }
`);

export const ReleaseHoldMutation = graphql(`
  mutation ReleaseHold($id: ID!, $category: String!, $entry: String) {
    releaseLegalHold(subjectId: $id, category: $category, entry: $entry) {
      revision
    }
  }
`);

export const EraseMutation = graphql(`
  mutation Erase($id: ID!) {
    eraseSubject(subjectId: $id, reason: subjectRequest) {
      ...CertificateFields
    }
  }
`);

export const RetentionQuery = graphql(`
  query Retention($asOf: DateTime) {
    retentionPreview(asOf: $asOf) {
      asOf
      examined
      items {
        subjectId
        category
        dueAt
        rule
        outcome
        entries
      }
    }
  }
`);

export const StatisticsQuery = graphql(`
  query Statistics {
    statistics {
      month
      category
      purpose
      metric
      count
    }
  }
`);
