//! Fuzz target: any bytes, read as a scenario file, must give `Ok` or a list of diagnostics —
//! never a panic, a hang or an allocation the size of the input's numbers.
//!
//! Files read through [`InlineFiles`]: a `file = "data:1|2|x"` names its own content (`|` for
//! line breaks), so the fuzzer reaches the readers of empirical durations, profiles and
//! call-detail traces too.

#![no_main]

use drainsim::scenario::{self, FileSource};
use libfuzzer_sys::fuzz_target;

/// A [`FileSource`] whose files are their own names: `data:a|b` reads as `"a\nb"`.
struct InlineFiles;

impl FileSource for InlineFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        match path.strip_prefix("data:") {
            Some(body) => Ok(body.replace('|', "\n")),
            None => Err(format!("cannot read {path:?}: no such file")),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(s) = scenario::parse(text, "fuzz.toml", &InlineFiles) {
        // A valid scenario must also expand (or explain why not) without panicking.
        let _ = scenario::expand(&s);
    }
});
