// Browser journey of the forces registers (issue 5) in real headless Chromium: a commune commander
// creates a militia platoon, adds members from the citizen registry, records training and sees the
// shortfall; then enters a reservist, creates a mobilisation unit with a position, runs the
// assignment and accepts it. The server is the real binary on a scratch SQLite file with the demo
// data. No request may leave the server.
//
// Run: cargo build -p phongthu && (cd tests/browser && npm ci) && node --test tests/browser/
// Env: PHONGTHU_BIN (default target/debug/phongthu), CHROMIUM (default /usr/bin/chromium).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.PHONGTHU_BIN || join(here, "..", "..", "target", "debug", "phongthu");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const PASSWORD = "phongthu-demo-2026";

let server, browser, base, dir;
const outside = [];

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

before(async () => {
  assert.ok(existsSync(bin), `build the binary first: ${bin}`);
  dir = mkdtempSync(join(tmpdir(), "phongthu-browser-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ["serve", "--demo", "--listen", `127.0.0.1:${port}`, "--database", `sqlite://${join(dir, "demo.db")}`], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PHONGTHU_LOG: "warn" },
  });
  let log = "";
  server.stdout.on("data", (d) => (log += d));
  server.stderr.on("data", (d) => (log += d));
  server.on("exit", (code) => {
    if (code) console.error(`phongthu exited with ${code}:\n${log}`);
  });
  await waitFor(`${base}/login`, 60000);
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(outside, [], "no request leaves the server");
});

async function newPage() {
  const context = await browser.newContext({ locale: "vi-VN" });
  const page = await context.newPage();
  page.on("request", (req) => {
    if (!req.url().startsWith(base) && !req.url().startsWith("data:")) outside.push(req.url());
  });
  return page;
}

async function login(page, username) {
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/login/);
  await page.getByLabel("Tên đăng nhập").fill(username);
  await page.getByLabel("Mật khẩu").fill(PASSWORD);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.waitForURL(`${base}/`);
}

async function newCitizen(page, name, birth) {
  await page.goto(`${base}/citizens/new`);
  await page.getByLabel("Họ và tên").fill(name);
  await page.getByLabel("Ngày sinh (NN/TT/NNNN)").fill(birth);
  await page.getByRole("button", { name: "Lưu hồ sơ" }).click();
  await page.waitForURL(/\/citizens\/\d+/);
  assert.match(await page.locator("h1").innerText(), new RegExp(name));
}

test("militia platoon with training shortfall, then a reserve assignment accepted", async () => {
  const page = await newPage();
  await login(page, "chihuy");
  await newCitizen(page, "Ngô Văn Tài", "01/01/2000");
  await newCitizen(page, "Đinh Văn Lực", "01/01/1999");

  // A militia platoon, a member from the registry, training days, the shortfall.
  await page.getByRole("link", { name: "Dân quân", exact: true }).click();
  await page.getByLabel("Tên đơn vị").fill("Trung đội dân quân cơ động số 1");
  await page.getByLabel("Loại").selectOption("mobile");
  await page.getByLabel("Cấp").selectOption("platoon");
  await page.getByRole("button", { name: "Thành lập" }).click();
  await page.waitForURL(/\/militia\/\d+$/);
  assert.match(await page.locator("h1").innerText(), /Trung đội dân quân cơ động số 1/);
  await page.getByLabel("Tìm theo tên hoặc số định danh").fill("ngo van tai");
  await page.getByRole("button", { name: "Tìm" }).click();
  await page.getByLabel(/Ngô Văn Tài, sinh 01\/01\/2000/).check();
  await page.getByRole("button", { name: "Thêm vào đơn vị" }).click();
  assert.match(await page.locator(".alert.ok").innerText(), /Đã thêm thành viên/);
  await page.getByLabel("Số ngày huấn luyện của Ngô Văn Tài").fill("5");
  await page.getByLabel("Số ngày huấn luyện của Ngô Văn Tài").press("Enter");
  assert.match(await page.locator(".alert.ok").innerText(), /Đã ghi số ngày huấn luyện/);
  const short = page.locator("section", { hasText: "Danh sách thiếu ngày huấn luyện" });
  const row = short.locator("tbody tr", { hasText: "Ngô Văn Tài" });
  // First year: 15 days; 5 attended, 10 missing.
  assert.deepEqual(
    (await row.locator("td.num").allInnerTexts()).map((s) => s.trim()),
    ["15", "5", "10"],
  );

  // The reserve: a reservist from the registry, a mobilisation unit and a position.
  await page.getByRole("link", { name: "Dự bị động viên", exact: true }).click();
  assert.match(await page.locator("h1").innerText(), /Dự bị động viên/);
  await page.getByLabel("Tìm theo tên hoặc số định danh").fill("dinh van luc");
  await page.getByRole("button", { name: "Tìm" }).click();
  await page.getByLabel(/Đinh Văn Lực, sinh 01\/01\/1999/).check();
  await page.getByLabel("Mã CNQS", { exact: true }).fill("1A");
  await page.getByLabel("Cấp bậc").fill("Trung sĩ");
  await page.getByRole("button", { name: "Thêm quân nhân dự bị" }).click();
  assert.match(await page.locator(".alert.ok").innerText(), /Đã thêm quân nhân dự bị/);
  await page.getByLabel("Tên đơn vị").fill("Đại đội bộ binh dự bị 1");
  await page.getByLabel("Loại").selectOption("combat");
  await page.getByRole("button", { name: "Thành lập" }).click();
  await page.waitForURL(/\/reserve\/units\/\d+/);
  await page.getByLabel("Chức danh").fill("Xạ thủ súng máy");
  await page.getByLabel("Mã CNQS", { exact: true }).fill("1A");
  await page.getByLabel("Biên chế").fill("1");
  await page.getByRole("button", { name: "Thêm vị trí" }).click();
  assert.match(await page.locator(".alert.ok").innerText(), /Đã thêm vị trí/);

  // The assignment: the solver proposes Lực on an exact specialty and explains it; accept it.
  await page.goto(`${base}/reserve/assign`);
  const proposal = page.locator("table.list tbody tr", { hasText: "Đinh Văn Lực" });
  assert.match(await proposal.innerText(), /Đúng CNQS 1A; cư trú tại .*trong hạn tuổi hết 35 tuổi/);
  await page.getByRole("button", { name: "Chấp nhận các đề xuất đã chọn" }).click();
  assert.match(await page.locator(".alert.ok").innerText(), /Đã lưu 1 sắp xếp/);

  // The unit shows the assignment and the đúng CNQS rate.
  await page.goto(`${base}/reserve`);
  await page.getByRole("link", { name: "Đại đội bộ binh dự bị 1" }).click();
  assert.match(await page.locator("main, body").first().innerText(), /tỷ lệ đúng CNQS 100,0%/);
  assert.equal(await page.locator("table.list tbody tr", { hasText: "Đinh Văn Lực" }).count(), 1);
});
