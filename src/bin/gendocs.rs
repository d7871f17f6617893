//! `make docs`: writes docs/ from the schemas in the code, templates/ and examples/ (src/docs.rs).
//! Run from anywhere: paths are relative to the repository.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pages = match izuma::docs::generate(root) {
        Ok(pages) => pages,
        Err(problems) => {
            eprintln!("gendocs: cannot generate the docs:\n{problems}");
            return ExitCode::FAILURE;
        }
    };
    for page in pages {
        let path = root.join(&page.path);
        let unchanged = std::fs::read_to_string(&path).ok().as_ref() == Some(&page.text);
        if unchanged {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the docs directory");
        }
        std::fs::write(&path, &page.text).expect("write a docs page");
        println!("wrote {}", page.path.display());
    }
    ExitCode::SUCCESS
}
