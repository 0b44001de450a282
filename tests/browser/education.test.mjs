// Browser journey of defence and security education in real headless Chromium: a commune
// commander enters a cadre from the citizen registry and another by hand, opens a course, enrols
// the registry cadre, records the result with a certificate, and sees that cadre leave the list of
// cadres without a certificate while the other stays on it; then corrects the other cadre's post
// and takes an enrolment entered by mistake off the course. The server is the real binary on a
// scratch SQLite file with the demo data. No request may leave the server.
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

/** The names on the list of cadres without a certificate. */
async function lacking(page) {
  await page.goto(`${base}/giao-duc-qp/chua-co-chung-nhan`);
  assert.match(await page.locator("h1").innerText(), /Cán bộ chưa có giấy chứng nhận/);
  return (await page.locator("table.list tbody tr td:first-child a").allInnerTexts()).map((s) => s.trim());
}

test("a cadre from the registry gets a certificate and leaves the no-certificate list", async () => {
  const page = await h.newPage();
  await h.login(page, "chihuy");

  // A citizen of the registry.
  await page.goto(`${base}/citizens/new`);
  await page.getByLabel("Họ và tên").fill("Phan Văn Hải");
  await page.getByLabel("Ngày sinh (NN/TT/NNNN)").fill("15/04/1978");
  await page.getByRole("button", { name: "Lưu hồ sơ" }).click();
  await page.waitForURL(/\/citizens\/\d+/);
  const citizenId = page.url().match(/\/citizens\/(\d+)/)[1];

  // The cadre from the registry (by the citizen's record number), and one entered by hand.
  await page.getByRole("link", { name: "Giáo dục QP-AN", exact: true }).click();
  await page.getByRole("link", { name: "Cán bộ", exact: true }).click();
  await page.getByLabel("Hoặc số hồ sơ công dân trong sổ đăng ký").fill(citizenId);
  await page.getByLabel("Chức vụ").fill("Chủ tịch Ủy ban nhân dân xã");
  await page.getByLabel("Cơ quan, đơn vị công tác").fill("Ủy ban nhân dân xã");
  await page.getByLabel("Đối tượng").selectOption("4");
  await page.getByRole("button", { name: "Thêm cán bộ" }).click();
  await page.waitForURL(/\/giao-duc-qp\/can-bo\/\d+/);
  assert.match(await page.locator("h1").innerText(), /Phan Văn Hải/);
  assert.equal(await page.getByRole("link", { name: `Số ${citizenId}` }).count(), 1, "linked to the registry");

  await page.goto(`${base}/giao-duc-qp/can-bo`);
  await page.getByLabel("Họ và tên").fill("Lò Thị Mai");
  await page.getByLabel("Ngày sinh").fill("02/09/1985");
  await page.getByLabel("Chức vụ").fill("Phó Chủ tịch Ủy ban nhân dân xã");
  await page.getByLabel("Cơ quan, đơn vị công tác").fill("Ủy ban nhân dân xã");
  await page.getByLabel("Đối tượng").selectOption("4");
  await page.getByRole("button", { name: "Thêm cán bộ" }).click();
  await page.waitForURL(/\/giao-duc-qp\/can-bo\/\d+/);
  const maiUrl = page.url();

  // Both lack a certificate.
  assert.deepEqual((await lacking(page)).sort(), ["Lò Thị Mai", "Phan Văn Hải"]);

  // A course (dates in the past: a certificate counts from its day of issue).
  await page.goto(`${base}/giao-duc-qp/khoa`);
  await page.getByLabel("Tên khóa").fill("Bồi dưỡng kiến thức quốc phòng và an ninh đối tượng 4");
  await page.getByLabel("Đối tượng").selectOption("4");
  await page.getByLabel("Cơ sở bồi dưỡng").fill("Trường Quân sự tỉnh");
  await page.getByLabel("Ngày khai giảng").fill("03/08/2026");
  await page.getByLabel("Ngày bế giảng").fill("14/08/2026");
  await page.getByRole("button", { name: "Mở khóa" }).click();
  await page.waitForURL(/\/giao-duc-qp\/khoa\/\d+/);
  const courseUrl = page.url();
  assert.match(await page.locator("h1").innerText(), /đối tượng 4/);

  // Enrol the registry cadre, then record the result with a certificate.
  const candidate = page.locator("#cadre_id option", { hasText: "Phan Văn Hải" });
  await page.locator("#cadre_id").selectOption(await candidate.getAttribute("value"));
  await page.getByRole("button", { name: "Thêm", exact: true }).click();
  // The same page comes back: wait for its new content rather than for the address.
  const row = page.locator("table.list tbody tr", { hasText: "Phan Văn Hải" });
  await row.waitFor();
  assert.equal(await row.count(), 1);
  assert.equal(await row.getByRole("link", { name: "Xóa khỏi danh sách" }).count(), 1);
  await row.getByLabel("Kết quả").selectOption("good");
  await row.getByLabel("Số giấy chứng nhận").fill("15/GCN");
  await row.getByLabel("Ngày cấp").fill("14/08/2026");
  await row.getByRole("button", { name: "Lưu" }).click();
  // With a certificate, the enrolment is no longer offered for deletion (the page came back).
  await row.getByRole("link", { name: "Xóa khỏi danh sách" }).waitFor({ state: "detached" });
  assert.equal(await row.getByLabel("Số giấy chứng nhận").inputValue(), "15/GCN");
  assert.equal(await row.getByLabel("Ngày cấp").inputValue(), "14/08/2026");

  // Hải leaves the list; Mai, without a certificate, stays on it.
  assert.deepEqual(await lacking(page), ["Lò Thị Mai"]);

  // Mai enrolled by mistake: taken off the course after a confirmation; still on the list.
  await page.goto(courseUrl);
  const mai = page.locator("#cadre_id option", { hasText: "Lò Thị Mai" });
  await page.locator("#cadre_id").selectOption(await mai.getAttribute("value"));
  await page.getByRole("button", { name: "Thêm", exact: true }).click();
  await page
    .locator("table.list tbody tr", { hasText: "Lò Thị Mai" })
    .getByRole("link", { name: "Xóa khỏi danh sách" })
    .click();
  await page.waitForURL(/\/xoa$/);
  assert.match(await page.locator("h1").innerText(), /Xóa học viên khỏi danh sách/);
  await page.getByRole("button", { name: "Xóa khỏi danh sách" }).click();
  await page.waitForURL(courseUrl);
  assert.equal(await page.locator("table.list tbody tr", { hasText: "Lò Thị Mai" }).count(), 0);
  assert.equal(await page.locator("table.list tbody tr", { hasText: "Phan Văn Hải" }).count(), 1);

  // Mai's post changes to one of category 3: the edit is saved and the list gives the reason.
  await page.goto(maiUrl);
  await page.locator("#edit_position").fill("Chủ tịch Hội đồng nhân dân xã");
  await page.locator("#edit_category").selectOption("3");
  await page.getByRole("button", { name: "Lưu thay đổi" }).click();
  assert.match(await page.locator(".alert.ok").innerText(), /Đã lưu thay đổi/);
  assert.match(await page.locator("table.compact").innerText(), /Chủ tịch Hội đồng nhân dân xã/);
  assert.deepEqual(await lacking(page), ["Lò Thị Mai"]);
  assert.match(
    await page.locator("table.list tbody tr", { hasText: "Lò Thị Mai" }).innerText(),
    /chưa có giấy chứng nhận bồi dưỡng kiến thức quốc phòng và an ninh đối tượng 3/,
  );

  assert.deepEqual(h.outside, [], "no request left the server");
});
