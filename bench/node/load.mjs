// The benchmark's load driver: POSTs the given bodies in turn over a fixed number of keep-alive connections and
// prints one JSON result. Latency is taken with process.hrtime.bigint() from the moment a request is issued
// (including any wait for a free connection) to the last byte of its answer, and kept in nanoseconds in an
// HdrHistogram (3 significant digits), so sub-millisecond answers are not rounded to whole milliseconds.
//
// Without a rate it is closed-loop: each connection sends its next request when the previous answer is in, for
// `duration` seconds (throughput). With `rate` it is open-loop: request i is issued at start + i / rate whether or
// not earlier ones are answered, so the offered load does not depend on the server's speed (latency). Timers fire
// late by up to a millisecond; requests that fell due meanwhile are issued at once, and that lateness is reported
// as `lag`, apart from the latency.
import { readFileSync } from "node:fs";
import hdr from "hdr-histogram-js";
import { Pool } from "undici";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const url = new URL(spec.url);
const path = url.pathname + url.search;
const bodies = spec.bodies.map((body) => Buffer.from(body));
const timeoutMs = (spec.timeout ?? 10) * 1000;
const headers = { "content-type": "application/json", ...(spec.headers ?? {}) };

// The servers close idle keep-alive connections after 5 s; closing ours first never races a request against that.
const pool = new Pool(url.origin, {
  connections: spec.connections,
  pipelining: 1,
  keepAliveTimeout: 2000,
  keepAliveMaxTimeout: 2000,
  headersTimeout: timeoutMs,
  bodyTimeout: timeoutMs,
});

const histogram = () =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: 3 });
const latencies = histogram();
const lags = histogram();
const counts = { sent: 0, answered: 0, inWindow: 0, errors: 0, timeouts: 0, non2xx: 0, graphqlErrors: 0 };
let next = 0;

const start = process.hrtime.bigint();
const deadline = start + BigInt(Math.round(spec.duration * 1e9));

async function one() {
  const body = bodies[next++ % bodies.length];
  counts.sent += 1;
  const issued = process.hrtime.bigint();
  try {
    const answer = await pool.request({ path, method: "POST", headers, body });
    const text = await answer.body.text();
    const done = process.hrtime.bigint();
    counts.answered += 1;
    if (done <= deadline) counts.inWindow += 1;
    if (answer.statusCode < 200 || answer.statusCode > 299) {
      counts.non2xx += 1;
      return;
    }
    latencies.recordValue(Number(done - issued));
    if (text.includes('"errors"')) counts.graphqlErrors += 1;
  } catch (error) {
    if (error.code === "UND_ERR_HEADERS_TIMEOUT" || error.code === "UND_ERR_BODY_TIMEOUT") counts.timeouts += 1;
    else counts.errors += 1;
  }
}

async function closedLoop() {
  const connection = async () => {
    while (process.hrtime.bigint() < deadline) await one();
  };
  await Promise.all(Array.from({ length: spec.connections }, connection));
}

async function openLoop(rate) {
  const interval = 1e9 / rate;
  const total = Math.max(1, Math.floor(spec.duration * rate));
  const pending = [];
  let issued = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const elapsed = Number(process.hrtime.bigint() - start);
      const due = Math.min(total, Math.floor(elapsed / interval) + 1);
      while (issued < due) {
        lags.recordValue(Math.max(1, Math.round(elapsed - issued * interval)));
        issued += 1;
        pending.push(one());
      }
      if (issued >= total) resolve();
      else setTimeout(tick, Math.max(0, (issued * interval - elapsed) / 1e6));
    };
    tick();
  });
  await Promise.all(pending);
}

if (spec.rate) await openLoop(spec.rate);
else await closedLoop();
await pool.close();

const ms = (ns) => ns / 1e6;
const seconds = spec.duration;
process.stdout.write(
  JSON.stringify({
    duration: seconds,
    rate: spec.rate ?? null,
    requests: { sent: counts.sent, total: counts.answered, inWindow: counts.inWindow },
    rps: counts.inWindow / seconds,
    latency: {
      count: latencies.totalCount,
      min: ms(latencies.totalCount ? latencies.minNonZeroValue : 0),
      mean: ms(latencies.mean),
      p50: ms(latencies.getValueAtPercentile(50)),
      p90: ms(latencies.getValueAtPercentile(90)),
      p99: ms(latencies.getValueAtPercentile(99)),
      max: ms(latencies.maxValue),
    },
    lag: { p99: ms(lags.getValueAtPercentile(99)), max: ms(lags.maxValue) },
    errors: counts.errors,
    timeouts: counts.timeouts,
    non2xx: counts.non2xx,
    graphqlErrors: counts.graphqlErrors,
  }),
);
