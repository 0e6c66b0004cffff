/** HTTP errors from the manager back to SwarmletErrors: the server's status and Docker's message give the code back. */
import t from 'tap';
import { codeFor, ApiError, apiErrorFromBody } from '../../lib/client/api-error.js';
import { httpStatusOf, SwarmletError, type ErrorCode } from '../../lib/errors.js';

// [code the manager threw, its message (the texts lib/ uses)]
const cases: Array<[ErrorCode, string]> = [
  ['not_found', 'service web not found'],
  ['invalid_argument', 'Number of replicas must be non-negative'],
  ['ambiguous', 'service w is ambiguous (2 matches found)'],
  ['conflict', 'name conflicts with an existing object: service web already exists'],
  ['out_of_sequence', 'update out of sequence'],
  ['failed_precondition', 'service abc does not have a previous spec'],
  ['failed_precondition', "node n2 is not down and can't be removed"],
  ['failed_precondition', 'network front is in use by service web'],
  ['failed_precondition', 'attempting to demote the last manager of the swarm'],
  ['unimplemented', 'not implemented'],
  ['too_large', 'request body too large'],
  ['unavailable', 'the swarm is locked'],
  ['unauthenticated', 'client token required'],
  ['permission_denied', 'forbidden'],
  ['internal', 'something broke'],
];

t.test('the code survives the trip over HTTP (status + message)', async (t) => {
  for (const [code, message] of cases) {
    const status = httpStatusOf(new SwarmletError(code, message));
    t.equal(codeFor(status, message), code, `${status} ${message}`);
  }
});

t.test('ApiError is a SwarmletError with the status, the code and the field the server named', async (t) => {
  const e = apiErrorFromBody(409, 'application/json', '{"message":"name conflicts with an existing object: service web already exists"}', 'Name');
  t.type(e, SwarmletError);
  t.type(e, ApiError);
  t.same([e.status, e.code, e.field, e.message], [409, 'conflict', 'Name', 'name conflicts with an existing object: service web already exists']);
  const plain = apiErrorFromBody(500, 'text/plain', 'update out of sequence');
  t.same([plain.code, plain.field], ['out_of_sequence', undefined]);
  t.equal(codeFor(404, 'update out of sequence'), 'not_found', 'a message refines only the shared statuses (400, 500)');
  t.equal(codeFor(418), 'invalid_argument', 'other 4xx');
  t.equal(codeFor(502), 'internal', 'other 5xx');
});
