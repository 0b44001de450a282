// Browser journey of the access rules in real headless Chromium, as an attacker and as the real
// users would meet them: a redirect after login never leaves the site; twenty-five wrong passwords
// for one account neither lock that account's owner out for good nor stop another user behind the
// same address, and the answers do not tell whether an account exists; a weak password is refused;
// an API token is created read-only with an expiry, refused on a write, revoked in the page, and a
// password change revokes the user's other tokens. The server is the real binary on a scratch
// SQLite file with the demo data. No request may leave the server.
//
// Run: cargo build --workspace && (cd tests/browser && npm ci) && node --test tests/browser/*.test.mjs

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, PASSWORD } from "./harness.mjs";

let h, base;

before(async () => {
  h = await start();
  base = h.base;
});

after(async () => {
  await h?.stop();
  assert.deepEqual(h?.outside ?? [], [], "no request left the server");
});

/** Submits the login form and returns the alert text shown (empty when logged in). */
async function tryLogin(page, username, password, next = "") {
  await page.goto(`${base}/login${next}`);
  await page.getByLabel("Tên đăng nhập").fill(username);
  await page.getByLabel("Mật khẩu").fill(password);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.waitForLoadState("load");
  const alert = page.locator("[role=alert]");
  return (await alert.count()) ? (await alert.first().innerText()).trim() : "";
}

test("after login the user stays on the site, whatever next says", async () => {
  const page = await h.newPage();
  assert.equal(await tryLogin(page, "chihuy", PASSWORD, "?next=/%09/evil.example"), "");
  const url = new URL(page.url());
  assert.equal(url.origin, base, `stayed on the site: ${page.url()}`);
  // A next with CR/LF is answered, not a server error.
  const r = await page.goto(`${base}/login?next=/%0d%0aSet-Cookie:%20x=1`);
  assert.ok(r.status() < 500, `status ${r.status()}`);
  await page.context().close();
});

test("wrong passwords do not lock others out nor tell who exists", async () => {
  const attacker = await h.newPage();
  const known = await tryLogin(attacker, "lanhdao", "sai-mat-khau-1");
  const unknown = await tryLogin(attacker, "khong-co-ai", "sai-mat-khau-1");
  assert.equal(known, unknown, "the same answer for an account that exists and one that does not");
  const answers = [];
  for (let i = 0; i < 25; i++) answers.push(await tryLogin(attacker, "lanhdao", `sai-mat-khau-${i}`));
  // Throttled by now, and the throttled answer names no account either.
  const throttled = answers.at(-1);
  assert.match(throttled, /thử lại/i, throttled);
  const other = await tryLogin(attacker, "khong-co-ai-2", "sai-mat-khau-x");
  assert.doesNotMatch(other, /khóa|vô hiệu/i, other);
  await attacker.context().close();

  // Another user behind the same address logs in at once.
  const page = await h.newPage();
  assert.equal(await tryLogin(page, "chihuy", PASSWORD), "");
  assert.equal(new URL(page.url()).pathname, "/");
  await page.context().close();
});

test("a weak password is refused; tokens are scoped, expire, and are revoked", async () => {
  const page = await h.newPage();
  await h.login(page, "thanhtra");
  await page.goto(`${base}/account/password`);

  // Weak new passwords are refused with the reason.
  for (const weak of ["password12", "aaaaaaaaa1"]) {
    await page.getByLabel("Mật khẩu hiện tại").fill(PASSWORD);
    await page.getByLabel("Mật khẩu mới (ít nhất 10 ký tự)").fill(weak);
    await page.getByLabel("Nhập lại mật khẩu mới").fill(weak);
    await page.getByRole("button", { name: "Đổi mật khẩu" }).click();
    const e = await page.locator("[role=alert]").first().innerText();
    assert.match(e, /mật khẩu/i, `${weak}: ${e}`);
  }

  // Two tokens: a read-only one for 30 days and a read-write one.
  async function newToken(name, scope, days) {
    await page.goto(`${base}/account/password`);
    await page.getByLabel("Tên mã").fill(name);
    await page.getByLabel("Phạm vi").selectOption(scope);
    await page.getByLabel("Thời hạn").selectOption(days);
    await page.getByRole("button", { name: "Tạo mã truy cập" }).click();
    return (await page.locator("code.secret").innerText()).trim();
  }
  const ro = await newToken("báo cáo tự động", "read_only", "30");
  const rw = await newToken("nạp dữ liệu", "read_write", "365");
  assert.notEqual(ro, rw);
  const rows = await page.locator("table.list tbody tr").allInnerTexts();
  const roRow = rows.find((r) => r.includes("báo cáo tự động"));
  assert.ok(roRow, rows.join("\n"));
  assert.match(roRow, /Chỉ đọc/);
  // Expires 30 days from today, shown dd/mm/yyyy.
  const in30 = new Date(Date.now() + 30 * 86400000);
  const dd = String(in30.getUTCDate()).padStart(2, "0");
  const mm = String(in30.getUTCMonth() + 1).padStart(2, "0");
  assert.ok(roRow.includes(`${dd}/${mm}/${in30.getUTCFullYear()}`), roRow);

  const api = (token, method = "GET") =>
    fetch(`${base}/api/v1/me`, { method, headers: { Authorization: `Bearer ${token}` } });
  let r = await api(ro);
  assert.equal(r.status, 200);
  const me = await r.json();
  assert.equal(me.username, "thanhtra");
  assert.equal(me.token_scope, "read_only");
  r = await api(ro, "POST");
  assert.equal(r.status, 403);
  assert.match((await r.json()).error.message, /chỉ được đọc/);
  assert.equal((await api(rw)).status, 200);

  // Revoked in the page: refused at once.
  await page.goto(`${base}/account/password`);
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Thu hồi mã báo cáo tự động" }).click();
  await page.waitForLoadState("load");
  assert.equal((await api(ro)).status, 401);
  assert.equal((await api(rw)).status, 200, "the other token still works");

  // A password change revokes the user's tokens.
  const strong = "Phong-thu Hà Tĩnh 2026!";
  await page.goto(`${base}/account/password`);
  await page.getByLabel("Mật khẩu hiện tại").fill(PASSWORD);
  await page.getByLabel("Mật khẩu mới (ít nhất 10 ký tự)").fill(strong);
  await page.getByLabel("Nhập lại mật khẩu mới").fill(strong);
  await page.getByRole("button", { name: "Đổi mật khẩu" }).click();
  await page.waitForLoadState("load");
  assert.equal((await api(rw)).status, 401, "tokens die with the old password");
  // The session that changed it goes on.
  const home = await page.goto(`${base}/`);
  assert.equal(home.status(), 200);
  assert.doesNotMatch(page.url(), /\/login/);
  await page.context().close();
});
