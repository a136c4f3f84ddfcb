// Open-loop (or closed-loop) load on loopback with node:http alone: requests leave on a fixed schedule whatever
// the server does, and each latency counts from its scheduled start, so a slow server is not hidden by a
// generator that waits for it. Prints {"t": [...], "ms": [...], "status": [...]} (scheduled offset in s,
// latency in ms, HTTP status; 299 = 200 with GraphQL errors, -1 = client timeout, -2 = connection error) and
// "lag": how late the generator itself sent each request (ms), which shows when it, not the server, fell behind.
import http from "node:http";
import { readFileSync } from "node:fs";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const { host, port, path, bodies, duration } = spec;
const timeoutMs = (spec.timeout ?? 15) * 1000;
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.maxSockets ?? 1024 });
const t = [], ms = [], status = [], lag = [];
let next = 0, outstanding = 0;
const start = performance.now();

function record(scheduled, sentAt, code) {
  t.push(+((scheduled - start) / 1000).toFixed(4));
  lag.push(+(sentAt - scheduled).toFixed(3));
  ms.push(+(performance.now() - scheduled).toFixed(3));
  status.push(code);
}

function send(scheduled, after) {
  const body = bodies[next++ % bodies.length];
  outstanding += 1;
  let settled = false;
  const sentAt = performance.now();
  const finish = (code) => {
    if (settled) return;
    settled = true;
    outstanding -= 1;
    record(scheduled, sentAt, code);
    if (after) after();
  };
  const req = http.request(
    { host, port, path, method: "POST", agent, headers: { ...(spec.headers ?? {}), "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
    (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        let code = res.statusCode;
        if (code === 200 && Buffer.concat(chunks).includes('"errors"')) code = 299;
        finish(code);
      });
      res.on("error", () => finish(-2));
    },
  );
  req.setTimeout(timeoutMs, () => { req.destroy(); finish(-1); });
  req.on("error", () => finish(-2));
  req.end(body);
}

const endAt = start + duration * 1000;
if (spec.mode === "closed") {
  const loop = () => { if (performance.now() < endAt) send(performance.now(), loop); };
  for (let i = 0; i < spec.connections; i++) loop();
} else {
  const total = Math.round(spec.rate * duration);
  let sent = 0;
  const tick = () => {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * spec.rate));
    while (sent < due) { send(start + (sent * 1000) / spec.rate, null); sent += 1; }
    if (sent < total) setTimeout(tick, 1);
  };
  tick();
}

const hardStop = endAt + timeoutMs + 5000;
const wait = () => {
  if ((performance.now() >= endAt && outstanding === 0) || performance.now() > hardStop) {
    agent.destroy();
    process.stdout.write(JSON.stringify({ t, ms, status, lag, outstanding }), () => process.exit(0));
    return;
  }
  setTimeout(wait, 50);
};
setTimeout(wait, duration * 1000);
