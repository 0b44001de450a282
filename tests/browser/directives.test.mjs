// Browser journey of the document register and directive follow-up in real headless
// Chromium: the province administrator uploads seed 002 (a Chỉ thị of the Kim Động district
// party committee), checks what the reader filled in, registers it, reviews the proposed tasks
// (edits one, drops one, assigns lead units to the demo commune commands) and confirms; the
// commune commander reports 60% on one of his tasks; the province sees it in the roll-up; the
// leader reads the roll-up without any form. In the review a task typed in a blank row is split at
// "||" and merged back; afterwards the province edits a confirmed task and cancels it with a
// reason, and the roll-up counts it as cancelled. The server is the real binary on a scratch SQLite
// file with the demo data. No request may leave the server.
//
// Run: cargo build -p phongthu && (cd tests/browser && npm ci) && node --test tests/browser/
// Env: PHONGTHU_BIN (default target/debug/phongthu), CHROMIUM (default /usr/bin/chromium).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, root } from "./harness.mjs";
import { join } from "node:path";

const SEED_002 = join(root, "crates", "web", "tests", "fixtures", "seed_002_chi_thi.txt");

// The demo's commune commands (see `phongthu serve --demo` output): chihuy commands the first,
// chihuy.xa2 the second.
const UNIT_A = "Ban Chỉ huy Quân sự phường Phố Hiến";
const UNIT_B = "Ban Chỉ huy Quân sự xã Tân Hưng";

const EDITED_SUMMARY = "Tuyển chọn và gọi công dân nhập ngũ năm 2025 đủ số lượng, bảo đảm chất lượng";
const DROPPED_START = "Thường xuyên nâng cao chất lượng công tác tuyên truyền";

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

/// The rows of the "Nhiệm vụ và tiến độ" table on a document page, as arrays of cell texts.
async function rollupRows(page) {
  const rows = page.locator("table.list tbody tr");
  const out = [];
  for (let i = 0; i < (await rows.count()); i++) {
    out.push((await rows.nth(i).locator("td").allInnerTexts()).map((s) => s.trim()));
  }
  return out;
}

// The document's page, shared between the steps of the journey (they run in order).
let docPath;

test("the province uploads seed 002, registers it, reviews and confirms its tasks", async () => {
  const page = await newPage();
  await login(page, "quantri");
  await page.getByRole("link", { name: "Văn bản", exact: true }).click();
  assert.match(await page.locator("h1").innerText(), /^Văn bản$/);
  assert.equal(await page.getByRole("link", { name: "Văn bản", exact: true }).getAttribute("aria-current"), "page");
  assert.match(await page.locator("main").innerText(), /Không có văn bản nào phù hợp/);

  // Upload: the reader fills the form, nothing is stored yet.
  await page.getByRole("link", { name: "Vào sổ văn bản đến" }).click();
  assert.match(await page.locator("h1").innerText(), /Vào sổ văn bản đến/);
  await page.getByLabel("Tệp văn bản (.txt, .docx, .pdf, ảnh quét)").setInputFiles(SEED_002);
  await page.getByRole("button", { name: "Đọc tệp" }).click();
  await page.waitForURL(`${base}/documents/upload`);
  assert.match(await page.getByRole("status").innerText(), /Đã đọc "seed_002_chi_thi\.txt"/);
  assert.equal(await page.getByLabel("Loại văn bản").inputValue(), "chi_thi");
  assert.equal(await page.getByLabel("Loại văn bản").locator("option:checked").innerText(), "Chỉ thị");
  // The text file carries no number and symbol: the field stays empty for the clerk to fill.
  const number = page.getByLabel("Số, ký hiệu (vd: 677/TB-VP, 05-CT/HU)");
  assert.equal(await number.inputValue(), "");
  assert.equal(await page.getByLabel("Cơ quan ban hành").inputValue(), "Ban Thường vụ Huyện ủy Kim Động");
  assert.equal(await page.getByLabel("Địa danh").inputValue(), "Kim Động");
  assert.equal(await page.getByLabel("Ngày ban hành (NN/TT/NNNN)").inputValue(), "20/12/2024");
  assert.match(await page.getByLabel("Trích yếu nội dung").inputValue(), /nhiệm vụ quân sự, quốc phòng địa phương năm 2025/);
  assert.equal(await page.getByLabel("Thẩm quyền ký").inputValue(), "T/M");
  assert.equal(await page.getByLabel("Người ký", { exact: true }).inputValue(), "Bùi Văn Phúc");
  assert.match(await page.getByLabel("Nơi nhận (mỗi dòng một nơi)").inputValue(), /Đảng ủy Quân sự tỉnh/);
  assert.match(await page.locator("main").innerText(), /bộ đọc tìm thấy 9 nhiệm vụ/);
  // The read text sits in a closed disclosure; open it from the keyboard.
  const bodyText = page.getByLabel("Nội dung", { exact: true });
  assert.equal(await bodyText.isVisible(), false);
  await page.locator("details > summary", { hasText: "Nội dung văn bản" }).focus();
  await page.keyboard.press("Enter");
  assert.equal(await bodyText.isVisible(), true);
  assert.match(await bodyText.inputValue(), /Bùi Văn Phúc/);

  // Register, with the received date and the number filled by hand.
  await page.getByLabel("Ngày đến (NN/TT/NNNN)").fill("23/12/2024");
  await number.fill("05-CT/HU");
  await page.getByRole("button", { name: "Vào sổ", exact: true }).click();
  await page.waitForURL(/\/documents\/\d+(\?.*)?$/);
  docPath = new URL(page.url()).pathname;
  assert.match(await page.locator("h1").innerText(), /Chỉ thị\s+05-CT\/HU/);
  assert.match(await page.getByRole("status").innerText(), /Đã lưu/);
  const facts = await page.locator("dl.facts").innerText();
  assert.match(facts, /Đến 1\/2024, ngày đến 23\/12\/2024/);
  assert.match(facts, /T\/M .*Bùi Văn Phúc/);
  assert.match(facts, /Chưa giao nhiệm vụ/);
  assert.ok(await page.getByRole("link", { name: "seed_002_chi_thi.txt" }).isVisible(), "attachment listed");
  assert.match(await page.locator("main").innerText(), /Chưa giao nhiệm vụ nào từ văn bản này/);

  // The register lists it; a search without diacritics finds it.
  await page.getByRole("navigation", { name: "Đường dẫn" }).getByRole("link", { name: "Văn bản" }).click();
  await page.getByLabel("Số, ký hiệu hoặc nội dung").fill("nhiem vu quan su");
  await page.getByRole("button", { name: "Tìm" }).click();
  await page.getByRole("link", { name: /nhiệm vụ quân sự, quốc phòng địa phương năm 2025/ }).click();
  assert.equal(new URL(page.url()).pathname, docPath);

  // Review the proposed tasks: the seven numbered duties and the two closing assignments.
  await page.getByRole("link", { name: "Xem xét và giao nhiệm vụ" }).click();
  assert.match(await page.locator("h1").innerText(), /Xem xét và giao nhiệm vụ/);
  assert.equal(await page.locator("fieldset").count(), 9 + 2, "nine proposals and two blank rows");
  for (const n of [1, 2, 3, 4, 5, 6, 7, "+1", "+2"]) {
    assert.equal(await page.getByRole("group", { name: `Nhiệm vụ ${n}`, exact: true }).getByLabel("Giữ").isChecked(), true);
  }
  const task = (n) => page.getByRole("group", { name: `Nhiệm vụ ${n}`, exact: true });
  // The closing assignments come whole; this journey keeps the seven numbered duties only.
  assert.match(await task("+1").getByLabel("Nội dung").inputValue(), /cụ thể hóa/);
  assert.match(await task("+2").getByLabel("Nội dung").inputValue(), /Đảng ủy Quân sự huyện chủ trì/);
  await task("+1").getByLabel("Giữ").uncheck();
  await task("+2").getByLabel("Giữ").uncheck();
  // Split a task written in the first blank row at the typed "||", then merge the two parts back
  // and drop the result: the form changes, nothing is stored.
  const blank = page.locator("fieldset").nth(9);
  await blank.getByLabel("Số thứ tự").fill("8");
  await blank.getByLabel("Nội dung").fill("Sơ kết việc thực hiện Chỉ thị || tổng kết việc thực hiện Chỉ thị");
  await blank.getByLabel("Giữ").check();
  await blank.getByRole("button", { name: "Tách tại dấu ||" }).click();
  await task("8a").waitFor();
  assert.equal(await page.locator("fieldset").count(), 9 + 3, "one row more");
  assert.equal(await task("8a").getByLabel("Nội dung").inputValue(), "Sơ kết việc thực hiện Chỉ thị");
  assert.equal(await task("8b").getByLabel("Nội dung").inputValue(), "tổng kết việc thực hiện Chỉ thị");
  assert.match(await task(1).getByLabel("Nội dung").inputValue(), /^Tiếp tục tổ chức thực hiện/, "other rows kept");
  await task("8a").getByLabel("Chọn để gộp").check();
  await task("8b").getByLabel("Chọn để gộp").check();
  await page.getByRole("button", { name: "Gộp các nhiệm vụ đã chọn" }).click();
  await task("8a, 8b").waitFor();
  assert.equal(await page.locator("fieldset").count(), 9 + 2);
  assert.equal(
    await task("8a, 8b").getByLabel("Nội dung").inputValue(),
    "Sơ kết việc thực hiện Chỉ thị tổng kết việc thực hiện Chỉ thị",
  );
  await task("8a, 8b").getByLabel("Giữ").uncheck();
  assert.match(await task(1).getByLabel("Nội dung").inputValue(), /^Tiếp tục tổ chức thực hiện/);
  assert.match(await task(4).getByLabel("Nội dung").inputValue(), new RegExp(`^${DROPPED_START}`));
  // Task 5 names "Đảng ủy Quân sự huyện": the reader suggests the regional defense command.
  assert.match(await task(5).locator("label[for^=lead_]").innerText(), /văn bản ghi: Đảng ủy Quân sự huyện/);
  assert.equal(await task(5).getByLabel(/^Đơn vị chủ trì/).locator("option:checked").innerText(), "Ban Chỉ huy Phòng thủ khu vực 1 - Phố Hiến");
  // Edit task 2's summary, drop task 4 (from the keyboard), give tasks 1 and 2 to commune A and
  // the others to commune B.
  await task(2).getByLabel("Nội dung").fill(EDITED_SUMMARY);
  await task(4).getByLabel("Giữ").focus();
  await page.keyboard.press("Space");
  assert.equal(await task(4).getByLabel("Giữ").isChecked(), false);
  for (const n of [1, 2, 3, 5, 6, 7]) {
    await task(n).getByLabel(/^Đơn vị chủ trì/).selectOption({ label: n <= 2 ? UNIT_A : UNIT_B });
  }
  await task(1).getByLabel("Ngày hết hạn (NN/TT/NNNN)").fill("31/12/2099");
  await task(2).getByLabel("Ngày hết hạn (NN/TT/NNNN)").fill("30/06/2099");
  await page.getByRole("button", { name: "Xác nhận và giao nhiệm vụ" }).last().click();
  await page.waitForURL((u) => u.pathname === docPath);

  // The document page lists the six kept tasks, the edit and the lead units.
  const rows = await rollupRows(page);
  assert.equal(rows.length, 6, JSON.stringify(rows));
  assert.deepEqual(rows.map((r) => r[0]), ["1", "2", "3", "5", "6", "7"]);
  assert.equal(rows[1][1], EDITED_SUMMARY);
  assert.deepEqual(rows.map((r) => r[2]), [UNIT_A, UNIT_A, UNIT_B, UNIT_B, UNIT_B, UNIT_B]);
  assert.equal(rows[0][3], "31/12/2099");
  assert.ok(rows.every((r) => r[4] === "chưa báo cáo"), JSON.stringify(rows));
  assert.ok(!rows.some((r) => r[1].startsWith(DROPPED_START)), "task 4 dropped");
  assert.match(await page.locator("main").innerText(), /6 nhiệm vụ: 0 hoàn thành, 6 đang thực hiện/);
  assert.equal(await page.getByRole("link", { name: "Xem xét và giao nhiệm vụ" }).count(), 0, "reviewed once");
  await page.context().close();
});

test("the commune commander reports 60% on his task; the province sees it", async () => {
  assert.ok(docPath, "the first step registered the document");
  const page = await newPage();
  await login(page, "chihuy");
  await page.getByRole("link", { name: "Văn bản", exact: true }).click();
  await page.getByRole("link", { name: "Nhiệm vụ của đơn vị" }).click();
  assert.match(await page.locator("h1").innerText(), /Nhiệm vụ của đơn vị/);
  const list = await page.locator("table.list tbody").innerText();
  assert.match(list, /Tiếp tục tổ chức thực hiện/);
  assert.ok(list.includes(EDITED_SUMMARY), list);
  assert.equal(await page.locator("table.list tbody tr").count(), 2, "only commune A's two tasks");
  assert.doesNotMatch(list, new RegExp(UNIT_B));

  await page.getByRole("link", { name: `2. ${EDITED_SUMMARY}` }).click();
  assert.match(await page.locator("h1").innerText(), /Nhiệm vụ 2/);
  const facts = await page.locator("dl.facts").innerText();
  assert.match(facts, new RegExp(UNIT_A));
  assert.match(facts, /30\/06\/2099/);
  assert.match(await page.locator("main").innerText(), /Chưa có báo cáo nào/);
  // Fill the report and send it with Enter from the last field.
  await page.getByLabel("Tỷ lệ hoàn thành (%)").fill("60");
  await page.getByLabel("Nội dung", { exact: true }).fill("Đã giao 27/45 công dân.");
  await page.getByLabel("Số liệu (vd: đã giao 45/45 công dân)").fill("27/45");
  const taskPath = new URL(page.url()).pathname;
  await page.getByLabel("Số liệu (vd: đã giao 45/45 công dân)").press("Enter");
  await page.waitForURL((u) => u.pathname === taskPath && u.search !== "");
  const reports = await page.locator("table.list tbody").innerText();
  assert.match(reports, /60%/);
  assert.match(reports, /Đã giao 27\/45 công dân\./);
  assert.match(reports, /27\/45/);
  assert.match(await page.locator("dl.facts").innerText(), /60%/);
  await page.context().close();

  const admin = await newPage();
  await login(admin, "quantri");
  await admin.goto(`${base}${docPath}`);
  const rows = await rollupRows(admin);
  const row = rows.find((r) => r[0] === "2");
  assert.equal(row[4], "60%", JSON.stringify(row));
  assert.equal(row[5], "", "no indicator: nothing measured");
  assert.equal(row[7], "1", "one report");
  assert.ok(rows.filter((r) => r[0] !== "2").every((r) => r[4] === "chưa báo cáo"));
  // Six open tasks, one at 60%: the average is 10%.
  assert.match(await admin.locator("main").innerText(), /6 nhiệm vụ: .*tiến độ bình quân 10%/);
  await admin.context().close();
});

test("the leader reads the roll-up but gets no forms", async () => {
  assert.ok(docPath, "the first step registered the document");
  const page = await newPage();
  await login(page, "lanhdao");
  await page.getByRole("link", { name: "Văn bản", exact: true }).click();
  assert.equal(await page.getByRole("link", { name: "Vào sổ văn bản đến" }).count(), 0);
  await page.getByRole("link", { name: /nhiệm vụ quân sự, quốc phòng địa phương năm 2025/ }).click();
  assert.equal(new URL(page.url()).pathname, docPath);
  const rows = await rollupRows(page);
  assert.equal(rows.length, 6);
  assert.equal(rows.find((r) => r[0] === "2")[4], "60%");
  assert.equal(await page.locator("main form").count(), 0, "no form on the document page");
  assert.equal(await page.getByRole("link", { name: "Xem xét và giao nhiệm vụ" }).count(), 0);

  await page.getByRole("link", { name: EDITED_SUMMARY }).click();
  assert.match(await page.locator("h1").innerText(), /Nhiệm vụ 2/);
  assert.match(await page.locator("table.list tbody").innerText(), /Đã giao 27\/45 công dân\./);
  assert.equal(await page.locator("main form").count(), 0, "no report form");
  assert.equal(await page.getByRole("button", { name: "Gửi báo cáo" }).count(), 0);

  // Typing the addresses does not help either.
  const newDoc = await page.goto(`${base}/documents/new`);
  assert.equal(newDoc.status(), 403);
  const review = await page.goto(`${base}${docPath}/review`);
  assert.equal(review.status(), 403, "a leader may not review");
  await page.context().close();
});

test("the province edits a task and cancels another; the roll-up shows it", async () => {
  assert.ok(docPath, "the first step registered the document");
  const page = await newPage();
  await login(page, "quantri");
  await page.goto(`${base}${docPath}`);
  const row3 = (await rollupRows(page)).find((r) => r[0] === "3");
  await page.getByRole("link", { name: row3[1] }).click();
  assert.match(await page.locator("h1").innerText(), /Nhiệm vụ 3/);
  await page.getByRole("link", { name: "Sửa nhiệm vụ" }).click();
  assert.match(await page.locator("h1").innerText(), /Sửa nhiệm vụ 3/);
  await page.getByLabel("Nội dung").fill("Xây dựng khu vực phòng thủ vững chắc (đã sửa)");
  await page.getByLabel("Ngày hết hạn (NN/TT/NNNN)").fill("31/13/2099");
  await page.getByRole("button", { name: "Lưu thay đổi" }).click();
  assert.match(await page.getByRole("alert").innerText(), /không hợp lệ/);
  await page.getByLabel("Ngày hết hạn (NN/TT/NNNN)").fill("30/09/2099");
  await page.getByRole("button", { name: "Lưu thay đổi" }).click();
  await page.waitForURL(/\/tasks\/\d+\?saved=1$/);
  assert.match(await page.getByRole("status").innerText(), /Đã lưu/);
  assert.match(await page.locator("main").innerText(), /Xây dựng khu vực phòng thủ vững chắc \(đã sửa\)/);
  assert.match(await page.locator("dl.facts").innerText(), /30\/09\/2099/);

  // Cancel it with a reason (the page asks for confirmation first).
  await page.locator("details > summary", { hasText: "Hủy nhiệm vụ" }).click();
  await page.getByLabel("Lý do hủy (bắt buộc)").fill("Đã giao trong kế hoạch khác");
  page.once("dialog", (d) => d.accept());
  await page.locator("form[action$='/cancel'] button").click();
  await page.waitForURL(/\?saved=1$/);
  const facts = await page.locator("dl.facts").innerText();
  assert.match(facts, /Đã hủy/);
  assert.match(facts, /Đã giao trong kế hoạch khác/);
  assert.equal(await page.getByRole("link", { name: "Sửa nhiệm vụ" }).count(), 0, "a cancelled task is not edited");
  await page.goto(`${base}${docPath}`);
  const rows = await rollupRows(page);
  assert.equal(rows.find((r) => r[0] === "3")[6], "Đã hủy");
  assert.match(await page.locator("main").innerText(), /6 nhiệm vụ: 0 hoàn thành, 5 đang thực hiện \(0 quá hạn\), 1 đã hủy/);
  await page.context().close();
});

test("no request left the server", () => {
  assert.deepEqual(h.outside, []);
});
