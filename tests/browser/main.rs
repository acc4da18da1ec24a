//! The page, in one binary: `loader.js` and the client under Node, and
//! headless Chromium driving the demo, the todo app and `jankwasm serve`
//! end to end.

#[path = "../common/browser.rs"]
mod browser;
#[path = "../serve_support/mod.rs"]
mod serve_support;

mod jank_frames;
mod serve_browser;
mod todo_page;
mod web_loader;
mod web_page;
