// One autocannon run: POSTs the given bodies in turn over fixed connections, optionally at a fixed overall rate,
// and prints autocannon's JSON result with a count of answers that carried GraphQL errors.
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const bodies = spec.bodies;
let next = 0;
let errored = 0;

const options = {
  url: spec.url,
  connections: spec.connections,
  duration: spec.duration,
  pipelining: 1,
  timeout: spec.timeout ?? 10,
  headers: { "content-type": "application/json" },
  requests: [
    {
      method: "POST",
      setupRequest: (request) => {
        request.body = bodies[next++ % bodies.length];
        return request;
      },
      onResponse: (status, body) => {
        if (status !== 200 || body.includes('"errors"')) errored += 1;
      },
    },
  ],
};
if (spec.overallRate) options.overallRate = spec.overallRate;

const result = await autocannon(options);
process.stdout.write(JSON.stringify({ ...result, graphqlErrors: errored }));
