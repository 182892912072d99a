// Who a caller of the approval service is, from the ARN AWS authenticated (SigV4, never a field of the
// request body), and whether an entry of the approvers' allow-list names them.
//
// An approver entry is an ARN pattern, `*` matching any run of characters within one segment:
//   arn:aws:iam::123456789012:user/alice                       an IAM user
//   arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_*/*
//                                                             anyone signed in with that SSO permission set
//   arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdApprover_*/alice@example.com
//                                                             one person of it
// Only IAM Identity Center sets the session name of its roles to the person signed in; on any other
// role the caller picks the session name, so the person of a session is trusted only as part of a
// pattern that also names the role.

/** A caller as AWS authenticated them. */
export interface Identity {
  /** The caller's ARN, as API Gateway's IAM authorization reports it (`userArn`). */
  readonly arn: string;
  readonly account: string;
  /** `user` for an IAM user, `assumed-role` for a role session, `root` for the account's root. */
  readonly kind: 'user' | 'assumed-role' | 'root';
  /** The role of a session (its name), or the user's name. */
  readonly principal: string;
  /** The person: the session name of a role session, the user name of an IAM user. */
  readonly person: string;
}

const USER = /^arn:aws[a-z-]*:iam::(\d{12}):user\/(?:[^/]+\/)*([^/]+)$/;
const SESSION = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\/([^/]+)$/;
const ROOT = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;

/** The identity of an authenticated caller's ARN, or null if it is none of the kinds above. */
export function identityOf(arn: string): Identity | null {
  const user = USER.exec(arn);
  if (user)
    return { arn, account: user[1] ?? '', kind: 'user', principal: user[2] ?? '', person: user[2] ?? '' };
  const session = SESSION.exec(arn);
  if (session)
    return {
      arn,
      account: session[1] ?? '',
      kind: 'assumed-role',
      principal: session[2] ?? '',
      person: session[3] ?? '',
    };
  const root = ROOT.exec(arn);
  if (root) return { arn, account: root[1] ?? '', kind: 'root', principal: 'root', person: 'root' };
  return null;
}

/** Whether an approver pattern (see above) is well formed; the config refuses anything else. */
export function isApproverPattern(pattern: string): boolean {
  const probe = pattern.replaceAll('*', 'x');
  return USER.test(probe) || SESSION.test(probe);
}

/**
 * Whether an ARN pattern names this caller: `*` matches within one segment, never across a `/` or
 * `:`. Case-sensitive as IAM compares ARNs, unless `anyCase` (for patterns that refuse: IAM names
 * are unique whatever their case, so a refusal must not miss `GitHub-Deploy` for `github-deploy`).
 */
export function matchesPattern(pattern: string, identity: Identity, anyCase = false): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/:]*');
  return new RegExp(`^${source}$`, anyCase ? 'i' : '').test(identity.arn);
}

/** The same person, however their name is cased (session names are case-insensitive in IAM). */
export const samePerson = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
