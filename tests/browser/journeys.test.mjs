// Browser journeys of phongthu in real headless Chromium: log in, browse the territory, read a
// unit's history, manage a user, read the audit log, print, log out. The server is the real
// binary on a scratch SQLite file with the demo data. No request may leave the server.
//
// Run: cargo build -p phongthu && (cd tests/browser && npm ci) && node --test tests/browser/
// Env: PHONGTHU_BIN (default target/debug/phongthu), CHROMIUM (default /usr/bin/chromium).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start } from "./harness.mjs";

let h, base;

before(async () => {
  h = await start();
  base = h.base;
});

after(async () => {
  await h?.stop();
});

const newPage = () => h.newPage();
const login = (page, username) => h.login(page, username);

test("log in, browse the territory, read a history, log out", async () => {
  const page = await newPage();
  // A wrong password first: a Vietnamese message, still on the login page.
  await page.goto(`${base}/login`);
  await page.getByLabel("Tên đăng nhập").fill("chihuy");
  await page.getByLabel("Mật khẩu").fill("sai-mat-khau-1");
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  assert.match(await page.locator(".alert.error").innerText(), /không đúng/);

  await login(page, "chihuy");
  assert.match(await page.locator("h1").innerText(), /Phố Hiến/);

  // Territory: search without diacritics, open an old commune, read its history.
  await page.getByRole("link", { name: "Địa giới hành chính" }).click();
  assert.match(await page.locator("h1").innerText(), /Địa giới hành chính/);
  assert.equal(await page.locator("table.list tbody tr").count(), 34);
  await page.getByLabel("Tên hoặc mã").fill("dong thanh");
  await page.getByLabel("Cấp").selectOption("commune");
  await page.getByRole("button", { name: "Xem" }).click();
  // "dong thanh" finds both Đông Thanh and Đồng Thanh; open an Đồng Thanh.
  const first = page.locator("table.list tbody tr a", { hasText: "Đồng Thanh" }).first();
  assert.match(await first.innerText(), /Đồng Thanh/);
  await first.click();
  assert.match(await page.locator("h1").innerText(), /Đồng Thanh/);
  const history = await page.locator("ul.history").innerText();
  assert.match(history, /nhập vào|Thành lập/);
  // Follow the history to today's commune, then to its province.
  await page.locator("ul.history a").first().click();
  assert.match(await page.locator("h1").innerText(), /^(Xã|Phường|Đặc khu|Tỉnh|Thành phố)/);

  // A province today and its communes.
  await page.goto(`${base}/territory/33?level=province`);
  assert.match(await page.locator("h1").innerText(), /Hưng Yên/);
  assert.ok((await page.locator("table.list tbody tr").count()) > 50);

  // Keyboard: the skip link is the first focusable element.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip");

  // Print: navigation and forms are hidden.
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("header nav").isVisible(), false);
  await page.emulateMedia({ media: "screen" });

  await page.getByRole("button", { name: "Đăng xuất" }).click();
  await page.waitForURL(/\/login\?out=1/);
  assert.match(await page.locator(".alert.info").innerText(), /đã đăng xuất/);
  // The old session is gone.
  await page.goto(`${base}/org`);
  assert.match(page.url(), /\/login/);
  await page.context().close();
});

test("an administrator creates a user; an inspector reads the audit log", async () => {
  const page = await newPage();
  await login(page, "quantri");
  await page.getByRole("link", { name: "Người dùng", exact: true }).click();
  await page.getByLabel("Tên đăng nhập (chữ thường, số, dấu chấm)").fill("canbo.moi");
  await page.getByLabel("Họ và tên").fill("Vũ Thị Hòa");
  await page.getByLabel("Vai trò").selectOption("leader");
  await page.getByRole("button", { name: "Tạo người dùng" }).click();
  assert.match(await page.locator(".alert.warn").innerText(), /Mật khẩu dùng một lần của canbo\.moi/);
  assert.match(await page.locator("table.list").innerText(), /Vũ Thị Hòa/);
  // The commander of a commune cannot open the users page.
  await page.context().close();

  const insp = await newPage();
  await login(insp, "thanhtra");
  await insp.getByRole("link", { name: "Nhật ký", exact: true }).click();
  await insp.getByLabel("Thao tác").fill("create");
  await insp.getByRole("button", { name: "Lọc" }).click();
  assert.match(await insp.locator("table.audit").innerText(), /canbo\.moi/);
  await insp.getByRole("link", { name: "Kiểm tra tính toàn vẹn" }).click();
  assert.match(await insp.locator(".alert.ok").innerText(), /toàn vẹn/);
  await insp.context().close();
});

test("a commune imports its citizens, finds one without diacritics; the province splits its quota", async () => {
  const page = await newPage();
  await login(page, "chihuy");
  await page.getByRole("link", { name: "Công dân", exact: true }).click();
  await page.getByRole("link", { name: "Nhập từ tệp Excel/CSV" }).click();
  const csv = "Họ và tên,Ngày sinh,Giới tính,Trình độ văn hóa\n" +
    "Nguyễn Văn Đức,12/05/2004,Nam,12/12\n" +
    "Trần Văn Bình,03/04/2005,Nam,9/12\n" +
    "Lê Thị Cúc,ngày sai,Nữ,12/12\n";
  await page.setInputFiles("#file", { name: "cong-dan.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.getByLabel("Chỉ nhập các dòng hợp lệ, tải về các dòng lỗi").check();
  await page.getByRole("button", { name: "Nhập", exact: true }).click();
  await page.waitForSelector("text=Đã nhập 2 hồ sơ", { timeout: 30000 });
  assert.match(await page.locator("ul.errors").innerText(), /Dòng 4, cột "Ngày sinh"/);
  await page.getByRole("link", { name: "Về danh sách công dân" }).click();
  await page.getByLabel("Họ tên hoặc số định danh").fill("nguyen van duc");
  await page.getByRole("button", { name: "Tìm" }).click();
  assert.match(await page.locator("table.list tbody").innerText(), /Nguyễn Văn Đức/);
  assert.doesNotMatch(await page.locator("table.list tbody").innerText(), /Trần Văn Bình/);
  await page.context().close();

  const admin = await newPage();
  await login(admin, "quantri");
  await admin.getByRole("link", { name: "Tuyển quân" }).click();
  await admin.getByLabel("Chỉ tiêu").fill("2");
  await admin.getByRole("button", { name: "Mở đợt" }).click();
  assert.match(await admin.locator("h1").innerText(), /Tuyển quân năm/);
  await admin.getByRole("button", { name: "Lưu chỉ tiêu" }).click();
  assert.match(await admin.locator(".alert.ok").innerText(), /Đã lưu chỉ tiêu/);
  assert.equal(await admin.locator("svg.chart rect").count() > 0, true);
  await admin.context().close();
});

test("no request left the server", () => {
  assert.deepEqual(h.outside, []);
});
