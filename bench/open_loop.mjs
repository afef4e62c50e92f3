// An open-loop load generator: sends requests at a fixed rate whatever the server does (a closed
// loop slows down with the server and hides an overload). Node's own http module, no packages.
//
//   node bench/open_loop.mjs URL PHASES COOKIES [SIGNIN_SHARE]
//
// PHASES is "rate:seconds,rate:seconds,..."; COOKIES a file of session cookies, one per line,
// used in turn; SIGNIN_SHARE (0..1) of the requests go to /signin instead of URL. Prints one JSON
// line per second: sent, answered by status class, time-outs, and latency percentiles (ms).
import http from "node:http";
import fs from "node:fs";

const [url, phasesText, cookieFile, signinShareText] = process.argv.slice(2);
const target = new URL(url);
const signinPath = "/signin";
const signinShare = Number(signinShareText || 0);
const cookies = fs.readFileSync(cookieFile, "utf8").split("\n").filter(Boolean);
const phases = phasesText.split(",").map((p) => p.split(":").map(Number));
// No cap on sockets: a capped agent queues requests on the client, and their time-outs would be the generator's own.
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const TIMEOUT_MS = 10000;

let second = 0;
const stats = [];
const bucket = (s) => (stats[s] ||= { second: s, sent: 0, ok: 0, busy: 0, error: 0, timeout: 0, other: 0,
  okMs: [], busyMs: [], signinSent: 0, signinOk: 0, signinBusy: 0 });

function send(n) {
  const s = second;
  const b = bucket(s);
  const signin = Math.random() < signinShare;
  b.sent++;
  if (signin) b.signinSent++;
  const started = performance.now();
  let done = false;
  const finish = (kind, status) => {
    if (done) return;
    done = true;
    const ms = performance.now() - started;
    if (kind === "timeout") b.timeout++;
    else if (kind === "error") b.error++;
    else if (status === 200) { b.ok++; b.okMs.push(ms); if (signin) b.signinOk++; }
    else if (status === 503) { b.busy++; b.busyMs.push(ms); if (signin) b.signinBusy++; }
    else if (status >= 500) b.error++;
    else b.other++;
  };
  const req = http.request({ host: target.hostname, port: target.port, path: signin ? signinPath : target.pathname,
    method: "GET", agent, headers: { Cookie: "callup_session=" + cookies[n % cookies.length] } }, (res) => {
    res.resume();
    res.on("end", () => finish("answer", res.statusCode));
  });
  req.setTimeout(TIMEOUT_MS, () => { finish("timeout"); req.destroy(); });
  req.on("error", () => finish("error"));
  req.end();
}

function pct(values, p) {
  if (!values.length) return null;
  const sorted = Float64Array.from(values).sort();
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
}

let n = 0;
const TICK_MS = 5;
const benchStart = performance.now();
for (const [rate, seconds] of phases) {
  const startedAt = performance.now();
  let due = 0;
  for (let t = 0; t < seconds * 1000; t += TICK_MS) {
    const wait = startedAt + t - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    second = Math.floor((performance.now() - benchStart) / 1000) || 0;
    const shouldHaveSent = Math.floor((rate * (performance.now() - startedAt)) / 1000);
    while (due < shouldHaveSent) { send(n++); due++; }
  }
}
await new Promise((r) => setTimeout(r, TIMEOUT_MS + 500));
for (const b of stats) {
  if (!b) continue;
  const { okMs, busyMs, ...rest } = b;
  console.log(JSON.stringify({ ...rest, okP50: pct(okMs, 50), okP99: pct(okMs, 99), busyP99: pct(busyMs, 99) }));
}
agent.destroy();
