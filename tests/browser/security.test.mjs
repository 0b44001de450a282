// Browser journey of the access rules in real headless Chromium, as an attacker and as the real
// users would meet them: a redirect after login never leaves the site; twenty-five wrong passwords
// for one account neither lock that account's owner out for good nor stop another user behind the
// same address, and the answers do not tell whether an account exists; a weak password is refused;
// an API token is created read-only with an expiry, refused on a write, revoked in the page, and a
// password change revokes the user's other tokens; the province cannot give its regional command
// another province's ward; lists show national ID numbers masked, the record shows it whole, and
// the province finds the record's opening and the Excel export in the audit log. The server is the real binary on a scratch
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

test("a regional command's coverage stays inside its province", async () => {
  const page = await h.newPage();
  await h.login(page, "quantri");
  await page.goto(`${base}/org`);
  await page.getByRole("link", { name: /Ban Chỉ huy Phòng thủ khu vực 1/ }).first().click();
  const before = await page.locator("#communes").inputValue();
  // Phường Ba Đình, Hà Nội (00004): another province's ward.
  await page.locator("#add_commune").fill("00004");
  await page.getByRole("button", { name: "Lưu địa bàn" }).click();
  const e = await page.locator("[role=alert]").first().innerText();
  assert.match(e, /00004/, e);
  assert.match(e, /ngoài tỉnh/, e);
  await page.goBack();
  await page.reload();
  assert.equal(await page.locator("#communes").inputValue(), before, "nothing written");
  await page.context().close();
});

test("lists mask the national ID; the record shows it and its opening is logged", async () => {
  const page = await h.newPage();
  await h.login(page, "chihuy");
  const id = "033207004321";
  await page.goto(`${base}/citizens/new`);
  await page.getByLabel("Họ và tên").fill("Hà Văn Kín");
  await page.getByLabel("Ngày sinh (NN/TT/NNNN)").fill("06/05/2007");
  await page.getByLabel("Số định danh cá nhân (12 chữ số)").fill(id);
  await page.getByRole("button", { name: "Lưu hồ sơ" }).click();
  await page.waitForLoadState("load");
  const record = new URL(page.url()).pathname;
  assert.match(record, /^\/citizens\/\d+$/, page.url());
  assert.ok((await page.content()).includes(id), "whole on the record");

  await page.goto(`${base}/citizens?q=ha+van+kin`);
  const html = await page.content();
  assert.ok(html.includes("Hà Văn Kín"), "found without diacritics");
  assert.ok(!html.includes(id), "not whole in the list");
  assert.ok(html.includes("••••••••4321"), "masked: last four digits");

  // The whole list downloaded as Excel.
  const [download] = await Promise.all([page.waitForEvent("download"), page.evaluate((u) => {
    const a = document.createElement("a");
    a.href = u;
    a.download = "";
    document.body.append(a);
    a.click();
  }, `${base}/citizens/export.xlsx`)]);
  assert.ok(download.suggestedFilename().endsWith(".xlsx"));

  // The province administrator sees in the audit log that the commander opened the record and took the file.
  const recordId = record.split("/").pop();
  const inspector = await h.newPage();
  await h.login(inspector, "quantri");
  await inspector.goto(`${base}/audit?action=view`);
  const views = await inspector.locator("table.audit tbody tr").allInnerTexts();
  assert.ok(views.some((r) => r.includes("Mở hồ sơ") && r.includes(recordId)), views.join("\n"));
  await inspector.goto(`${base}/audit?action=export`);
  const files = await inspector.locator("table.audit tbody tr").allInnerTexts();
  assert.ok(files.some((r) => r.includes("Tải tệp") && r.includes("export.xlsx")), files.join("\n"));
  await inspector.context().close();
  await page.context().close();
});
