// Shared set-up of the browser journeys: the real phongthu binary on a scratch SQLite file with
// the demo data, headless Chromium (Debian's), a logged-in page, and the list of requests that
// tried to leave the server (there must be none: the program works on a closed network).
//
// Env: PHONGTHU_BIN (default target/debug/phongthu), CHROMIUM (default /usr/bin/chromium).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
const bin = process.env.PHONGTHU_BIN || join(root, "target", "debug", "phongthu");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
export const PASSWORD = "phongthu-demo-2026";

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitFor(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url, { redirect: "manual" });
      if (r.status > 0) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not start at ${url}`);
}

/** Starts the server and the browser; returns a handle with `base`, `newPage`, `login`, `stop`. */
export async function start() {
  assert.ok(existsSync(bin), `build the binary first: ${bin}`);
  const dir = mkdtempSync(join(tmpdir(), "phongthu-browser-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(
    bin,
    ["serve", "--demo", "--citizens", "0", "--listen", `127.0.0.1:${port}`, "--database", `sqlite://${join(dir, "demo.db")}`],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PHONGTHU_LOG: "warn" } },
  );
  let log = "";
  server.stdout.on("data", (d) => (log += d));
  server.stderr.on("data", (d) => (log += d));
  server.on("exit", (code) => {
    if (code) console.error(`phongthu exited with ${code}:\n${log}`);
  });
  await waitFor(`${base}/login`, 60000);
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
  const outside = [];
  return {
    base,
    outside,
    async newPage() {
      const context = await browser.newContext({ locale: "vi-VN", acceptDownloads: true });
      const page = await context.newPage();
      page.on("request", (req) => {
        if (!req.url().startsWith(base) && !req.url().startsWith("data:")) outside.push(req.url());
      });
      return page;
    },
    async login(page, username) {
      await page.goto(`${base}/`);
      assert.match(page.url(), /\/login/);
      await page.getByLabel("Tên đăng nhập").fill(username);
      await page.getByLabel("Mật khẩu").fill(PASSWORD);
      await page.getByRole("button", { name: "Đăng nhập" }).click();
      await page.waitForURL(`${base}/`);
    },
    async stop() {
      await browser.close();
      server.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
