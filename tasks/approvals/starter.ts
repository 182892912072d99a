// Who started an execution, as CloudTrail recorded its StartExecution call: Step Functions does not tell
// a state machine who started it, and the input's requestedBy is only a claim. CloudTrail's event
// history has every management event of the last 90 days, delivered within minutes (not
// guaranteed); until the event is there, the starter is not known.
import { type CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';

/** At most this many pages (50 events each) are read: LookupEvents allows 2 calls a second per account. */
const MAX_PAGES = 5;

/** The ARN of the principal that started the execution, or null while CloudTrail has no record of it. */
export async function startedBy(
  cloudtrail: CloudTrailClient,
  executionId: string,
  runStartedAt: string,
): Promise<string | null> {
  // The minute around the execution's own start: few other starts to page through, even in a busy account.
  const start = new Date(Date.parse(runStartedAt) - 60_000);
  const end = new Date(Date.parse(runStartedAt) + 60_000);
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const found = await cloudtrail
      .send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'StartExecution' }],
          StartTime: start,
          EndTime: end,
          MaxResults: 50,
          ...(token && { NextToken: token }),
        }),
      )
      // Throttled or denied: not known now; the decision is refused and can be made again shortly.
      .catch(() => null);
    if (!found) return null;
    for (const event of found.Events ?? []) {
      const record = JSON.parse(event.CloudTrailEvent ?? '{}') as {
        userIdentity?: { arn?: string };
        responseElements?: { executionArn?: string };
      };
      if (record.responseElements?.executionArn === executionId) return record.userIdentity?.arn ?? null;
    }
    token = found.NextToken;
    if (!token) return null;
  }
  return null;
}
