// Browser journey of the call-up cycle in real headless Chromium: a commune command
// imports its citizens; the province opens the cycle and splits the quota; the commune screens
// its pool, approves the examination list, records examination results per criterion, vets,
// approves the official and reserve lists, issues the call-up decisions (downloaded as PDF and
// Word), hands the recruits over and confirms one after the post check; the dashboard shows the
// quota met. The cycle is last year's, so that every step (a handover, a decision) is dated in
// the past, as the rule "a past event is not dated after today" requires; dates are written out
// from the cycle's year, so the journey does not depend on today's date. Each list approval
// carries its act's number and date.
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
const NAMES = ["Nguyễn Văn An", "Trần Văn Bình", "Lê Văn Cường", "Phạm Văn Dũng", "Hoàng Văn Đức", "Vũ Văn Giang"];

async function tick(page, names) {
  for (const n of names) await page.getByLabel(`Chọn ${n}`, { exact: true }).check();
}

async function bulkStep(page, kind, date, extra = {}) {
  await page.locator("#kind").selectOption(kind);
  await page.locator("#date").fill(date);
  for (const [id, v] of Object.entries(extra)) await page.locator(`#${id}`).fill(v);
  await page.locator("#bulk button[type=submit]").click();
  await page.waitForSelector(".alert.ok, .alert.error");
  const err = await page.locator(".alert.error").count();
  if (err) assert.fail(await page.locator(".alert.error").innerText());
}

test("one commune through a whole call-up cycle", async () => {
  const commune = await h.newPage();
  await h.login(commune, "chihuy");
  await commune.getByRole("link", { name: "Công dân", exact: true }).click();
  await commune.getByRole("link", { name: "Nhập từ tệp Excel/CSV" }).click();
  const csv =
    "Họ và tên,Ngày sinh,Giới tính,Trình độ văn hóa,Trình độ chuyên môn\n" +
    NAMES.map((n, i) => `${n},1${i}/05/2003,Nam,12/12,${i === 0 ? "Đại học" : ""}`).join("\n") +
    "\n";
  await commune.setInputFiles("#file", { name: "nguon.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await commune.getByRole("button", { name: "Nhập", exact: true }).click();
  await commune.waitForSelector("text=Đã nhập 6 hồ sơ", { timeout: 30000 });

  // The province opens the cycle with a quota of 2; the proposal gives both to the only commune
  // with a pool.
  const province = await h.newPage();
  await h.login(province, "quantri");
  await province.getByRole("link", { name: "Tuyển quân" }).click();
  await province.getByLabel("Năm giao, nhận quân").fill(String(new Date().getFullYear() - 1));
  await province.getByLabel("Chỉ tiêu").fill("2");
  await province.getByRole("button", { name: "Mở đợt" }).click();
  const heading = await province.locator("h1").innerText();
  const year = Number(heading.match(/năm (\d{4})/)[1]);
  const cycleUrl = province.url();
  await province.getByRole("button", { name: "Lưu chỉ tiêu" }).click();
  assert.match(await province.locator(".alert.ok").innerText(), /Đã lưu chỉ tiêu/);

  // The commune works its part of the cycle.
  await commune.goto(cycleUrl);
  await commune.getByRole("link", { name: UNIT_A, exact: true }).click();
  assert.match(await commune.locator("h1").innerText(), /Phố Hiến — tuyển quân năm/);
  const communeUrl = commune.url().split("?")[0];
  assert.match(await commune.locator("body").innerText(), /Danh sách gọi khám sức khỏe: 0 \/ tối đa 8 người/);
  await tick(commune, NAMES);
  await bulkStep(commune, "screen_pass", `01/10/${year - 1}`);
  assert.match(await commune.locator(".alert.ok").innerText(), /6 công dân/);
  await commune.locator("#act_number_examination").fill("3/QĐ-UBND");
  await commune.locator("#act_date_examination").fill(`15/10/${year - 1}`);
  await commune.getByRole("button", { name: "Duyệt danh sách gọi khám sức khỏe" }).click();
  assert.match(await commune.locator(".alert.ok").innerText(), /Đã duyệt/);

  // Examination results for three citizens, per criterion; one with a bad score first.
  for (const [i, name] of NAMES.slice(0, 3).entries()) {
    await commune.goto(communeUrl);
    await commune.getByRole("link", { name, exact: true }).click();
    for (const label of ["Thể lực", "Mắt", "Tai - Mũi - Họng", "Răng - Hàm - Mặt", "Nội khoa", "Tâm thần kinh", "Ngoại khoa", "Da liễu"]) {
      await commune.getByLabel(label, { exact: true }).fill(i === 0 && label === "Mắt" ? "7" : "1");
    }
    await commune.getByLabel("Chiều cao (cm)").fill("170");
    await commune.getByLabel("Cân nặng (kg)").fill("62");
    await commune.locator("#date_exam").fill(`20/11/${year - 1}`);
    await commune.getByRole("button", { name: "Ghi kết quả khám" }).click();
    if (i === 0) {
      assert.match(await commune.locator(".alert.error").innerText(), /Mắt.*từ 1 đến 6/);
      await commune.getByLabel("Mắt", { exact: true }).fill("2");
      await commune.getByRole("button", { name: "Ghi kết quả khám" }).click();
    }
    assert.match(await commune.locator("#stage").innerText(), /Đủ sức khỏe/);
  }

  await commune.goto(`${communeUrl}?stage=examined`);
  await tick(commune, NAMES.slice(0, 3));
  await bulkStep(commune, "vet_pass", `20/12/${year - 1}`);
  await commune.goto(`${communeUrl}?stage=vetted`);
  await tick(commune, NAMES.slice(0, 2));
  await bulkStep(commune, "approve_official", `10/01/${year}`);
  await commune.goto(`${communeUrl}?stage=vetted`);
  await tick(commune, NAMES.slice(2, 3));
  await bulkStep(commune, "approve_reserve", `10/01/${year}`);
  await commune.locator("#act_number_official").fill("7/QĐ-UBND");
  await commune.locator("#act_date_official").fill(`15/01/${year}`);
  await commune.getByRole("button", { name: "Duyệt danh sách gọi nhập ngũ chính thức" }).click();
  assert.match(await commune.locator(".alert.ok").innerText(), /Đã duyệt/);

  await commune.goto(`${communeUrl}?stage=approved_official`);
  await tick(commune, NAMES.slice(0, 2));
  await bulkStep(commune, "issue_call_up", `01/02/${year}`, {
    decision_number: "1/QĐ-UBND",
    report_place: "Sân vận động phường",
    report_at: `07 giờ 00 ngày 04/3/${year}`,
  });

  // The decisions of the whole commune, as PDF and Word.
  for (const [ext, type, magic] of [["pdf", "application/pdf", "%PDF"], ["docx", "wordprocessingml", "PK"]]) {
    const r = await commune.request.get(`${communeUrl}/quyet-dinh.${ext}`);
    assert.equal(r.status(), 200, `quyet-dinh.${ext}`);
    assert.match(r.headers()["content-type"], new RegExp(type));
    const body = await r.body();
    assert.equal(body.subarray(0, magic.length).toString("latin1"), magic);
  }

  await commune.goto(`${communeUrl}?stage=call_up_issued`);
  assert.match(await commune.locator("table.list").last().innerText(), /1\/QĐ-UBND[\s\S]*2\/QĐ-UBND/);
  await tick(commune, NAMES.slice(0, 2));
  await bulkStep(commune, "hand_over", `04/03/${year}`);
  await commune.goto(`${communeUrl}?stage=handed_over`);
  await commune.getByRole("link", { name: NAMES[0], exact: true }).click();
  await commune.locator("#date_confirm").fill(`08/03/${year}`);
  await commune.locator("form.step", { hasText: "Phúc tra đạt" }).getByRole("button", { name: "Ghi" }).click();
  assert.match(await commune.locator("#stage").innerText(), /Đạt phúc tra/);

  // The province's dashboard: the quota is met, one graduate among the recruits.
  await province.goto(cycleUrl);
  await province.getByRole("link", { name: "Kết quả tuyển quân (tổng hợp)" }).click();
  const total = await province.locator("#total").innerText();
  assert.match(total, /100,0%/);
  assert.match(total, /1 \(50,0%\)/);
  assert.ok((await province.locator("svg.chart rect").count()) > 0);
  await commune.context().close();
  await province.context().close();
});

test("no request left the server", () => {
  assert.deepEqual(h.outside, []);
});
