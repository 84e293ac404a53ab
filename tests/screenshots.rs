//! Makes the PNG screenshots in `screenshots/` from the real rendering: the
//! console is drawn into ratatui's TestBackend over a finished demo
//! workspace (exactly as the console and snapshot tests draw it), and each
//! cell is painted with DejaVu Sans Mono.
//!
//! ```sh
//! apt-get install fonts-dejavu-core      # the font, once
//! cargo test --test screenshots -- --ignored
//! ```

mod common;

use std::path::Path;

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use common::console::{app_with, demo, key, render, select};
use crossterm::event::KeyCode;
use leash::ui::action::Action;
use leash::ui::app::Pane;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const FONT_DIR: &str = "/usr/share/fonts/truetype/dejavu";
const SIZE: f32 = 15.0;

struct Fonts {
    regular: FontVec,
    bold: FontVec,
    fallback: FontVec,
}

fn load(name: &str) -> FontVec {
    let path = Path::new(FONT_DIR).join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} — install the font with `apt-get install fonts-dejavu-core`",
            path.display()
        )
    });
    FontVec::try_from_vec(bytes).expect("a TrueType font")
}

/// The xterm palette for indexed and named colours.
fn rgb(c: Color, default: (u8, u8, u8)) -> (u8, u8, u8) {
    const BASIC: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 49, 49),
        (13, 188, 121),
        (229, 229, 16),
        (36, 114, 200),
        (188, 63, 188),
        (17, 168, 205),
        (229, 229, 229),
        (102, 102, 102),
        (241, 76, 76),
        (35, 209, 139),
        (245, 245, 67),
        (59, 142, 234),
        (214, 112, 214),
        (41, 184, 219),
        (255, 255, 255),
    ];
    let indexed = |i: u8| -> (u8, u8, u8) {
        match i {
            0..=15 => BASIC[i as usize],
            16..=231 => {
                let i = i - 16;
                let v = |x: u8| if x == 0 { 0 } else { 55 + x * 40 };
                (v(i / 36), v((i / 6) % 6), v(i % 6))
            }
            _ => {
                let g = 8 + (i - 232) * 10;
                (g, g, g)
            }
        }
    };
    match c {
        Color::Reset => default,
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) => indexed(i),
        Color::Black => BASIC[0],
        Color::Red => BASIC[1],
        Color::Green => BASIC[2],
        Color::Yellow => BASIC[3],
        Color::Blue => BASIC[4],
        Color::Magenta => BASIC[5],
        Color::Cyan => BASIC[6],
        Color::Gray => BASIC[7],
        Color::DarkGray => BASIC[8],
        Color::LightRed => BASIC[9],
        Color::LightGreen => BASIC[10],
        Color::LightYellow => BASIC[11],
        Color::LightBlue => BASIC[12],
        Color::LightMagenta => BASIC[13],
        Color::LightCyan => BASIC[14],
        Color::White => BASIC[15],
    }
}

fn blend(bg: (u8, u8, u8), fg: (u8, u8, u8), a: f32) -> (u8, u8, u8) {
    let m = |b: u8, f: u8| (b as f32 + (f as f32 - b as f32) * a).round() as u8;
    (m(bg.0, fg.0), m(bg.1, fg.1), m(bg.2, fg.2))
}

fn save(buf: &Buffer, fonts: &Fonts, path: &Path) {
    let scale = PxScale::from(SIZE);
    let scaled = fonts.regular.as_scaled(scale);
    let cw = scaled.h_advance(fonts.regular.glyph_id('M')).ceil() as u32;
    let ch = (scaled.ascent() - scaled.descent()).ceil() as u32;
    let (cols, rows) = (buf.area.width as u32, buf.area.height as u32);
    let (w, h) = (cols * cw, rows * ch);
    let default_bg = (24, 24, 32);
    let default_fg = (220, 220, 220);
    let mut px = vec![0u8; (w * h * 3) as usize];
    let mut put = |x: u32, y: u32, c: (u8, u8, u8)| {
        if x < w && y < h {
            let i = ((y * w + x) * 3) as usize;
            px[i..i + 3].copy_from_slice(&[c.0, c.1, c.2]);
        }
    };
    let mut glyphs = Vec::new();
    for row in 0..rows {
        for col in 0..cols {
            let cell = &buf[(col as u16, row as u16)];
            let style = cell.style();
            let (mut fg, mut bg) = (
                rgb(style.fg.unwrap_or(Color::Reset), default_fg),
                rgb(style.bg.unwrap_or(Color::Reset), default_bg),
            );
            if style.add_modifier.contains(Modifier::REVERSED) {
                std::mem::swap(&mut fg, &mut bg);
            }
            if style.add_modifier.contains(Modifier::DIM) {
                fg = blend(bg, fg, 0.6);
            }
            for y in 0..ch {
                for x in 0..cw {
                    put(col * cw + x, row * ch + y, bg);
                }
            }
            if let Some(c) = cell.symbol().chars().next().filter(|c| *c != ' ') {
                let bold = style.add_modifier.contains(Modifier::BOLD);
                glyphs.push((col, row, c, fg, bg, bold));
            }
        }
    }
    for (col, row, c, fg, bg, bold) in glyphs {
        let primary = if bold { &fonts.bold } else { &fonts.regular };
        let font = if primary.glyph_id(c).0 != 0 {
            primary
        } else {
            &fonts.fallback
        };
        let glyph = font.glyph_id(c).with_scale_and_position(
            scale,
            point((col * cw) as f32, (row * ch) as f32 + scaled.ascent()),
        );
        if let Some(outline) = font.outline_glyph(glyph) {
            let b = outline.px_bounds();
            outline.draw(|x, y, cov| {
                let (gx, gy) = (b.min.x as i32 + x as i32, b.min.y as i32 + y as i32);
                if gx >= 0 && gy >= 0 {
                    put(gx as u32, gy as u32, blend(bg, fg, cov.min(1.0)));
                }
            });
        }
    }
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(&px).unwrap();
}

#[test]
#[ignore = "writes screenshots/*.png; run with --ignored (needs fonts-dejavu-core)"]
fn make_screenshots() {
    let fonts = Fonts {
        regular: load("DejaVuSansMono.ttf"),
        bold: load("DejaVuSansMono-Bold.ttf"),
        fallback: load("DejaVuSans.ttf"),
    };
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    std::fs::create_dir_all(&out).unwrap();
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    let (w, h) = (140, 36);

    select(&mut app, "t2");
    key(&mut app, KeyCode::Char('2'));
    save(
        &render(&mut app, w, h),
        &fonts,
        &out.join("turns-and-diff.png"),
    );

    app.update(Action::AutonomyPanel);
    save(
        &render(&mut app, w, h),
        &fonts,
        &out.join("autonomy-panel.png"),
    );

    app.focus = Pane::Turns;
    select(&mut app, "t3");
    key(&mut app, KeyCode::Char('1'));
    app.update(Action::NextPane);
    save(
        &render(&mut app, w, h),
        &fonts,
        &out.join("waiting-approval.png"),
    );

    app.focus = Pane::Turns;
    select(&mut app, "t6");
    save(
        &render(&mut app, w, h),
        &fonts,
        &out.join("hostile-output.png"),
    );

    select(&mut app, "t7");
    app.focus = Pane::Detail;
    key(&mut app, KeyCode::Char('4'));
    app.detail.dashboard.row = 2;
    save(
        &render(&mut app, w, h),
        &fonts,
        &out.join("invariant-dashboard.png"),
    );
    app.focus = Pane::Turns;

    // The demo's pipeline: its row expanded, its audit's detail (the one
    // unsupported claim it found).
    select(&mut app, "t12");
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char('1'));
    save(&render(&mut app, w, h), &fonts, &out.join("pipeline.png"));

    key(&mut app, KeyCode::Char('?'));
    save(
        &render(&mut app, w, h),
        &fonts,
        &out.join("help-overlay.png"),
    );
}
