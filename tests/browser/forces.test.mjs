// Browser journey of the forces registers in real headless Chromium: a commune commander
// creates a militia platoon, adds members from the citizen registry, records training and sees the
// shortfall; then enters a reservist, creates a mobilisation unit with a position, runs the
// assignment and accepts it. The server is the real binary on a scratch SQLite file with the demo
// data. No request may leave the server.
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
