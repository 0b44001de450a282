// Browser journey of corrected records and examination results at a commune's size, in real
// headless Chromium: a commune command files a citizen whose education is below the standard
// (the commune chosen by its name typed without diacritics); the province opens a cycle; the
// commune corrects his education level and the province's pool figure grows by one, the record
// page showing the change (who, when, from what to what). Then the commune imports its men,
// screens them, approves the examination list with its act, and imports the examination
// council's sheet with one bad row: the good rows are saved (one fit, one unfit), the bad one is
// listed and offered as a file of rejects, and the grid still lists the man left to examine.
//
// The cycle is the one whose examination window (1 Nov – 31 Dec of the year before) has begun,
// so that every date is in the past whatever today is.
//
// Run: cargo build -p phongthu && (cd tests/browser && npm ci) && node --test tests/browser/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start } from "./harness.mjs";

let h;
before(async () => {
  h = await start();
});
after(async () => {
  await h?.stop();
});

const UNIT_A = "Ban Chỉ huy Quân sự phường Phố Hiến";
const pad = (n) => String(n).padStart(2, "0");
const vi = (d) => `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()}`;

function cycleWithExamBehind() {
  const today = new Date();
  const nov1 = new Date(today.getFullYear(), 10, 1);
  if (today >= nov1) {
    const day = new Date(Math.min(today.getTime(), new Date(today.getFullYear(), 10, 20).getTime()));
    return { year: today.getFullYear() + 1, examDay: day };
  }
  return { year: today.getFullYear(), examDay: new Date(today.getFullYear() - 1, 10, 20) };
}

async function poolOf(page, cycleUrl) {
  await page.goto(cycleUrl);
  const row = page.locator("tr", { has: page.getByRole("link", { name: UNIT_A, exact: true }) });
  return Number(await row.locator("td").nth(2).innerText());
}

test("a corrected record returns to the pool; an examination sheet with one bad row", async () => {
  const { year, examDay } = cycleWithExamBehind();
  const commune = await h.newPage();
  await h.login(commune, "chihuy");

  // A record with grade 5/12, the commune typed without diacritics.
  await commune.goto(`${h.base}/citizens/new`);
  await commune.getByLabel("Họ và tên").fill("Tạ Văn Sửa");
  await commune.getByLabel("Ngày sinh (NN/TT/NNNN)").fill(`01/06/${year - 20}`);
  await commune.locator("#permanent_commune").fill("phuong pho hien");
  await commune.getByLabel("Trình độ văn hóa (vd: 12/12)").fill("5/12");
  await commune.getByRole("button", { name: "Lưu hồ sơ" }).click();
  assert.match(await commune.locator(".alert.ok").innerText(), /Đã lưu/);
  const recordUrl = commune.url().split("?")[0];
  assert.match(await commune.locator("dl.facts").innerText(), /Phường Phố Hiến/);

  // The province opens the cycle and sees the commune's pool.
  const province = await h.newPage();
  await h.login(province, "quantri");
  await province.getByRole("link", { name: "Tuyển quân" }).click();
  await province.getByLabel("Năm giao, nhận quân").fill(String(year));
  await province.getByLabel("Chỉ tiêu").fill("1");
  await province.getByRole("button", { name: "Mở đợt" }).click();
  const cycleUrl = province.url().split("?")[0];
  const before = await poolOf(province, cycleUrl);

  // The commune corrects the education level; the pool grows by one.
  await commune.goto(recordUrl);
  await commune.getByRole("link", { name: "Sửa hồ sơ" }).click();
  await commune.getByLabel("Trình độ văn hóa (vd: 12/12, 9/12; để trống nếu chưa rõ)").fill("12/12");
  await commune.getByRole("button", { name: "Lưu thay đổi" }).click();
  assert.match(await commune.locator(".alert.ok").innerText(), /Đã lưu/);
  const history = await commune.locator("#history").innerText();
  assert.match(history, /Trần Văn Hùng\s+Sửa hồ sơ\s+Trình độ văn hóa\s+5\/12\s+12\/12/);
  assert.equal(await poolOf(province, cycleUrl), before + 1);
  await province.getByRole("button", { name: "Lưu chỉ tiêu" }).click();
  assert.match(await province.locator(".alert.ok").innerText(), /Đã lưu chỉ tiêu/);

  // Three men with ID numbers, screened; the examination list approved with its act.
  const by = year - 21;
  const yy = pad(by % 100);
  const men = [
    ["Ninh Văn An", `0012${yy}009101`],
    ["Ninh Văn Bình", `0012${yy}009102`],
    ["Ninh Văn Cường", `0012${yy}009103`],
  ];
  await commune.goto(`${h.base}/citizens/import`);
  const csv =
    "Họ và tên,Ngày sinh,Giới tính,Số định danh cá nhân,Trình độ văn hóa\n" +
    men.map(([n, id]) => `${n},01/05/${by},Nam,${id},12/12`).join("\n") +
    "\n";
  await commune.setInputFiles("#file", { name: "nguon.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await commune.getByRole("button", { name: "Nhập", exact: true }).click();
  await commune.waitForSelector("text=Đã nhập 3 hồ sơ", { timeout: 30000 });
  await commune.goto(cycleUrl);
  await commune.getByRole("link", { name: UNIT_A, exact: true }).click();
  const communeUrl = commune.url().split("?")[0];
  for (const [n] of men) await commune.getByLabel(`Chọn ${n}`, { exact: true }).check();
  await commune.locator("#kind").selectOption("screen_pass");
  const screenDay = new Date(examDay.getTime() - 86400000);
  await commune.locator("#date").fill(vi(screenDay));
  await commune.locator("#bulk button[type=submit]").click();
  assert.match(await commune.locator(".alert.ok").innerText(), /3 công dân/);
  await commune.locator("#act_number_examination").fill("12/QĐ-UBND");
  await commune.locator("#act_date_examination").fill(vi(screenDay));
  await commune.getByRole("button", { name: "Duyệt danh sách gọi khám sức khỏe" }).click();
  assert.match(await commune.locator(".alert.ok").innerText(), /Đã duyệt/);
  assert.match(await commune.locator("body").innerText(), /theo văn bản số 12\/QĐ-UBND ngày/);

  // The council's sheet: An fit, Bình class 4 (unfit), Cường with a score of 9.
  await commune.getByRole("link", { name: /Kết quả khám sức khỏe của nhiều công dân/ }).click();
  assert.equal(await commune.locator("#exam-grid tbody tr").count(), 3);
  const sheet =
    "Số định danh cá nhân;Họ và tên;Thể lực;Mắt;Tai - Mũi - Họng;Răng - Hàm - Mặt;Nội khoa;Tâm thần kinh;Ngoại khoa;Da liễu;Chiều cao (cm);Cân nặng (kg)\n" +
    `${men[0][1]};${men[0][0]};1;1;1;1;1;1;1;1;170;62\n` +
    `${men[1][1]};${men[1][0]};1;1;1;1;4;1;1;1;168;60\n` +
    `${men[2][1]};${men[2][0]};1;9;1;1;1;1;1;1;168;60\n`;
  await commune.locator("#import_date").fill(vi(examDay));
  await commune.getByLabel("Chỉ ghi các dòng hợp lệ (tải về các dòng bị từ chối)").check();
  await commune.setInputFiles("#file", { name: "ket-qua-kham.csv", mimeType: "text/csv", buffer: Buffer.from(sheet) });
  await commune.getByRole("button", { name: "Nhập kết quả" }).click();
  assert.match(
    await commune.locator(".alert.ok").innerText(),
    /Đã ghi kết quả khám của 2 công dân \(1 đủ sức khỏe, 1 không đủ sức khỏe\)/,
  );
  const errors = await commune.locator("ul.errors").innerText();
  assert.match(errors, /Dòng 4.*Mắt.*từ 1 đến 6/);
  const rejectsHref = await commune.getByRole("link", { name: "Tải các dòng bị từ chối (.xlsx)" }).getAttribute("href");
  const r = await commune.request.get(`${h.base}${rejectsHref}`);
  assert.equal(r.status(), 200);
  assert.equal((await r.body()).subarray(0, 2).toString("latin1"), "PK");
  // Only Cường is left to examine.
  assert.equal(await commune.locator("#exam-grid tbody tr").count(), 1);
  assert.match(await commune.locator("#exam-grid").innerText(), /Ninh Văn Cường/);

  // The commune's lists: An fit, Bình unfit.
  await commune.goto(`${communeUrl}?stage=examined`);
  assert.match(await commune.locator("body").innerText(), /Ninh Văn An/);
  await commune.goto(`${communeUrl}?stage=unfit`);
  assert.match(await commune.locator("body").innerText(), /Ninh Văn Bình/);
  await commune.context().close();
  await province.context().close();
});

test("no request left the server", () => {
  assert.deepEqual(h.outside, []);
});
