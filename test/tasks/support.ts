// Shared by the worker tests: SDK clients whose `send` the tests mock, and AWS-shaped errors.
import { type Clients, createClients } from '../../tasks/clients.ts';

/** Real SDK clients with static credentials; every call is answered by aws-sdk-client-mock. */
export function testClients(): Clients {
  return createClients({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
}

/** An error as the SDK throws it: only the name and the message matter to the workers. */
export function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/** A transient AWS failure the workers must surface as TransientAwsError. */
export const throttled = () => awsError('ThrottlingException', 'Rate exceeded');
