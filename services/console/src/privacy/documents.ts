import { graphql } from '../gql/index.js';

export const MeQuery = graphql(`
  query Me {
    me {
      role
      name
    }
  }
`);

export const MyDataQuery = graphql(`
  query MyData($id: ID!) {
    accessReport(subjectId: $id) {
      report
    }
    processingRegister {
      purposes {
        name
        description
        requiresConsent
        directMarketing
      }
    }
  }
`);

export const SignedAccessReportQuery = graphql(`
  query SignedAccessReport($id: ID!) {
    accessReport(subjectId: $id) {
      text
      signature {
        type
        kind
        subjectId
        generatedAt
        sha256
        bytes
      }
      jws {
        protected
        payload
        signature
      }
    }
  }
`);

export const ReadableAccessReportQuery = graphql(`
  query ReadableAccessReport($id: ID!, $language: String!) {
    accessReport(subjectId: $id) {
      html(language: $language)
    }
  }
`);

export const SignedExportQuery = graphql(`
  query SignedExport($id: ID!) {
    portabilityExport(subjectId: $id) {
      text
      signature {
        type
        kind
        subjectId
        generatedAt
        sha256
        bytes
      }
      jws {
        protected
        payload
        signature
      }
    }
  }
`);

export const MyRequestsQuery = graphql(`
  query MyRequests {
    myRequests {
      id
      type
      status
      receivedAt
      dueAt
    }
  }
`);

export const GiveConsentMutation = graphql(`
  mutation GiveConsent($id: ID!, $purpose: String!, $noticeId: String!, $noticeVersion: String!) {
    giveConsent(
      subjectId: $id
      purpose: $purpose
      noticeId: $noticeId
      noticeVersion: $noticeVersion
      channel: webForm
    ) {
      revision
    }
  }
`);

export const WithdrawConsentMutation = graphql(`
  mutation WithdrawConsent($id: ID!, $purpose: String!) {
    withdrawConsent(subjectId: $id, purpose: $purpose) {
      revision
      shreddedCategories
    }
  }
`);

export const ObjectMutation = graphql(`
  mutation Object($id: ID!, $purpose: String!) {
    objectToProcessing(subjectId: $id, purpose: $purpose) {
      revision
    }
  }
`);

export const OpenRequestMutation = graphql(`
  mutation OpenMyRequest($id: ID!, $type: RequestType!, $at: DateTime!) {
    openRequest(subjectId: $id, type: $type, receivedAt: $at, channel: webForm) {
      id
      status
      dueAt
    }
  }
`);
