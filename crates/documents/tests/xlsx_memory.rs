//! A long workbook is written in bounded memory: the rows go to a temporary file as they come
//! (the rejected rows of a hostile import of a million lines, a province's whole export), and only
//! the finished, compressed file is held. The heap is measured by a counting allocator, in this
//! test binary only; the file is then read back whole.

use phongthu_documents::tabular::{ColumnSpec, TabularReader, XlsxWriter};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn a_long_workbook_is_written_in_bounded_memory() {
    const ROWS: usize = 60_000;
    let columns: Vec<ColumnSpec<'_>> = ["Họ và tên", "Ngày sinh", "Số định danh", "Địa chỉ", "Lý do bị từ chối"]
        .iter()
        .map(|h| ColumnSpec {
            header: h,
            text: true,
            width: 0.0,
        })
        .collect();
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut w = XlsxWriter::new("Dòng bị từ chối", &columns).unwrap();
    for i in 0..ROWS {
        // Distinct texts, as rejected rows are: nothing can be shared between rows.
        let row = [
            format!("Nguyễn Văn Người Thứ {i}"),
            format!("{:02}/{:02}/{}", i % 28 + 1, i % 12 + 1, 1980 + i % 40),
            format!("{:012}", 1_000_000_000u64 + i as u64),
            format!("Thôn {} xã Phú Hưng tỉnh Hưng Yên, số nhà {}", i % 97, i),
            format!(
                "Dòng {}: Số định danh không hợp lệ (mã tỉnh nơi đăng ký khai sinh không có)",
                i + 2
            ),
        ];
        w.push(&row).unwrap();
    }
    let during = PEAK.load(Ordering::Relaxed) - base;
    let bytes = w.finish().unwrap();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    // The rows' text alone is about 11 MB, and an in-memory workbook holds several times that;
    // the file itself is about 3 MB. Rows held one at a time keep the writing under 4 MB and the
    // whole, compression of the finished file included, under four times the file's size.
    assert!(during < 4 << 20, "{} bytes held while writing {ROWS} rows", during);
    assert!(
        peak < 4 * bytes.len() + (4 << 20),
        "{peak} bytes at the peak for a file of {}",
        bytes.len()
    );

    let r = TabularReader::from_bytes(bytes).unwrap();
    assert_eq!(r.headers[0], "Họ và tên");
    let rows: Vec<_> = r.map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), ROWS);
    assert_eq!(rows[ROWS - 1].cells[0], format!("Nguyễn Văn Người Thứ {}", ROWS - 1));
    assert_eq!(rows[7].cells[2], "001000000007");
}
