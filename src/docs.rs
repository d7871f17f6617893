//! The registry documentation (docs/), generated from the schemas in the code merged with
//! hand-written templates (templates/) and the example configurations (examples/). `make docs`
//! writes it (src/bin/gendocs.rs); a unit test fails when the committed docs differ.
//!
//! Template placeholders, in the spirit of tfplugindocs:
//! - `{{ .Description }}`: the schema's description;
//! - `{{ .SchemaMarkdown }}`: the argument and attribute reference;
//! - `{{ tffile "examples/..." }}`: a Terraform file, as a code block;
//! - `{{ codefile "shell" "examples/..." }}`: any file, as a code block in that language.

use std::path::{Path, PathBuf};

use crate::schema::{AttrType, Attribute, Presence, Schema, SingleBlock};

pub const PROVIDER_NAME: &str = "izuma";

/// One page of the docs: its path relative to the repository root, and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub path: PathBuf,
    pub text: String,
}

/// What a page documents.
struct Subject {
    /// `resources`, `data-sources` or `` for the provider's index.
    kind: &'static str,
    /// The name without the provider prefix (`access_key`); `index` for the provider.
    name: String,
    schema: Schema,
}

impl Subject {
    fn template_path(&self) -> PathBuf {
        if self.kind.is_empty() {
            PathBuf::from("templates/index.md.tmpl")
        } else {
            PathBuf::from(format!("templates/{}/{}.md.tmpl", self.kind, self.name))
        }
    }

    fn page_path(&self) -> PathBuf {
        if self.kind.is_empty() {
            PathBuf::from("docs/index.md")
        } else {
            PathBuf::from(format!("docs/{}/{}.md", self.kind, self.name))
        }
    }

    fn describe(&self) -> String {
        match self.kind {
            "resources" => format!("resource izuma_{}", self.name),
            "data-sources" => format!("data source izuma_{}", self.name),
            _ => "provider".to_owned(),
        }
    }
}

/// Everything registered in the provider: its own configuration, every resource of
/// `resources::all()` and every data source of `data_sources::all()`.
fn subjects() -> Vec<Subject> {
    let mut subjects = vec![Subject {
        kind: "",
        name: "index".to_owned(),
        schema: crate::provider::provider_schema(),
    }];
    for resource in crate::resources::all() {
        subjects.push(Subject {
            kind: "resources",
            name: resource.name().to_owned(),
            schema: resource.schema(),
        });
    }
    for data_source in crate::data_sources::all() {
        subjects.push(Subject {
            kind: "data-sources",
            name: data_source.name().to_owned(),
            schema: data_source.schema(),
        });
    }
    subjects
}

/// All pages, rendered from the files under `root` (the repository). An error names what is
/// missing: a template for a registered resource or data source, an embedded example file, or an
/// unknown placeholder.
pub fn generate(root: &Path) -> Result<Vec<Page>, String> {
    let mut pages = Vec::new();
    let mut problems = Vec::new();
    for subject in subjects() {
        let template_path = subject.template_path();
        let template = match std::fs::read_to_string(root.join(&template_path)) {
            Ok(text) => text,
            Err(_) => {
                problems.push(format!(
                    "{} has no documentation template: create {} (copy a neighbour in {}) with the prose, an example under examples/, and `{{{{ .SchemaMarkdown }}}}`, then run `make docs`",
                    subject.describe(),
                    template_path.display(),
                    template_path.parent().unwrap().display(),
                ));
                continue;
            }
        };
        match render(root, &template, &subject) {
            Ok(text) => pages.push(Page {
                path: subject.page_path(),
                text,
            }),
            Err(problem) => problems.push(format!("{}: {problem}", template_path.display())),
        }
    }
    if problems.is_empty() {
        Ok(pages)
    } else {
        Err(problems.join("\n"))
    }
}

fn render(root: &Path, template: &str, subject: &Subject) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .ok_or_else(|| "unclosed `{{`".to_owned())?
            + start;
        let directive = rest[start + 2..end].trim();
        out.push_str(&expand(root, directive, subject)?);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn expand(root: &Path, directive: &str, subject: &Subject) -> Result<String, String> {
    let words: Vec<&str> = directive.split_whitespace().collect();
    let unquote = |word: &str| word.trim_matches('"').to_owned();
    match words.as_slice() {
        [".Description"] => Ok(subject.schema.description.to_owned()),
        [".SchemaMarkdown"] => Ok(schema_markdown(&subject.schema)),
        ["tffile", file] => code_block(root, "terraform", &unquote(file)),
        ["codefile", language, file] => code_block(root, &unquote(language), &unquote(file)),
        _ => Err(format!("unknown placeholder `{{{{ {directive} }}}}`")),
    }
}

fn code_block(root: &Path, language: &str, file: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(root.join(file))
        .map_err(|e| format!("cannot read the example {file}: {e}"))?;
    Ok(format!("```{language}\n{}\n```", text.trim_end()))
}

/// The argument and attribute reference, in the registry's layout: Required, Optional and
/// Read-Only lists, then one section per nested block or nested object.
pub fn schema_markdown(schema: &Schema) -> String {
    let mut out = String::from("## Schema\n");
    let mut nested = Vec::new();
    write_attribute_lists(
        &mut out,
        &schema.attributes,
        &schema.blocks,
        "",
        &mut nested,
    );
    while !nested.is_empty() {
        let mut deeper = Vec::new();
        for (anchor, title, attributes) in nested {
            out.push_str(&format!(
                "\n<a id=\"{anchor}\"></a>\n### Nested Schema for `{title}`\n"
            ));
            write_attribute_lists(&mut out, &attributes, &[], &title, &mut deeper);
        }
        nested = deeper;
    }
    out.trim_end().to_owned()
}

type NestedSection = (String, String, Vec<Attribute>);

fn write_attribute_lists(
    out: &mut String,
    attributes: &[Attribute],
    blocks: &[SingleBlock],
    parent: &str,
    nested: &mut Vec<NestedSection>,
) {
    let heading = |presence: Presence| match presence {
        Presence::Required => "Required",
        Presence::Optional | Presence::OptionalComputed => "Optional",
        Presence::Computed => "Read-Only",
    };
    for group in ["Required", "Optional", "Read-Only"] {
        let mut items: Vec<String> = attributes
            .iter()
            .filter(|a| heading(a.presence) == group)
            .map(|a| attribute_item(a, parent, nested))
            .collect();
        if group == "Optional" {
            for block in blocks {
                let title = qualified(parent, block.name);
                let anchor = format!("nestedblock--{}", title.replace('.', "--"));
                items.push(format!(
                    "- `{}` (Block, Optional, at most one) {} (see [below for nested schema](#{anchor}))",
                    block.name,
                    one_line(block.description)
                ));
                nested.push((anchor, title, block.attributes.clone()));
            }
        }
        items.sort();
        if items.is_empty() {
            continue;
        }
        if parent.is_empty() {
            out.push_str(&format!("\n### {group}\n\n"));
        } else {
            out.push_str(&format!("\n{group}:\n\n"));
        }
        for item in items {
            out.push_str(&item);
            out.push('\n');
        }
    }
}

fn attribute_item(attribute: &Attribute, parent: &str, nested: &mut Vec<NestedSection>) -> String {
    let mut kind = vec![type_name(&attribute.ty).to_owned()];
    if attribute.sensitive {
        kind.push("Sensitive".to_owned());
    }
    if attribute.force_new {
        kind.push("Forces replacement".to_owned());
    }
    let mut item = format!(
        "- `{}` ({}) {}",
        attribute.name,
        kind.join(", "),
        one_line(attribute.description)
    );
    if let AttrType::ObjectList(inner) = &attribute.ty {
        let title = qualified(parent, attribute.name);
        let anchor = format!("nestedatt--{}", title.replace('.', "--"));
        item.push_str(&format!(" (see [below for nested schema](#{anchor}))"));
        nested.push((anchor, title, inner.clone()));
    }
    item
}

fn qualified(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

fn type_name(ty: &AttrType) -> &'static str {
    match ty {
        AttrType::String => "String",
        AttrType::Number => "Number",
        AttrType::Bool => "Boolean",
        AttrType::StringSet => "Set of String",
        AttrType::StringMap => "Map of String",
        AttrType::ObjectList(_) => "List of Object",
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// The committed docs are what the generator produces from the code, templates and examples.
    #[test]
    fn committed_docs_are_up_to_date() {
        let root = repository();
        let pages = generate(&root).unwrap_or_else(|problems| panic!("{problems}"));
        let stale: Vec<String> = pages
            .iter()
            .filter(|page| {
                std::fs::read_to_string(root.join(&page.path)).ok().as_ref() != Some(&page.text)
            })
            .map(|page| page.path.display().to_string())
            .collect();
        assert!(
            stale.is_empty(),
            "these docs differ from what the generator produces; run `make docs` and commit the result: {}",
            stale.join(", ")
        );
    }

    #[test]
    fn every_registered_type_has_a_page() {
        let pages = generate(&repository()).unwrap();
        let resources = crate::resources::all().len();
        let data_sources = crate::data_sources::all().len();
        assert_eq!(pages.len(), 1 + resources + data_sources);
    }

    #[test]
    fn a_missing_template_is_named() {
        let empty = tempfile::tempdir().unwrap();
        let problems = generate(empty.path()).unwrap_err();
        assert!(problems.contains("resource izuma_access_key has no documentation template: create templates/resources/access_key.md.tmpl"), "{problems}");
        assert!(
            problems.contains("data source izuma_policy_group has no documentation template"),
            "{problems}"
        );
    }

    #[test]
    fn reference_marks_sensitive_and_groups_by_presence() {
        let markdown = schema_markdown(&crate::resources::access_key::schema());
        assert!(
            markdown.contains("- `secret` (String, Sensitive)"),
            "{markdown}"
        );
        let required = markdown.find("### Required").unwrap();
        let optional = markdown.find("### Optional").unwrap();
        let read_only = markdown.find("### Read-Only").unwrap();
        assert!(required < optional && optional < read_only);
        let provider = schema_markdown(&crate::provider::provider_schema());
        assert!(
            provider.contains("### Nested Schema for `local`"),
            "{provider}"
        );
    }

    #[test]
    fn unknown_placeholders_fail() {
        let subject = Subject {
            kind: "resources",
            name: "x".into(),
            schema: Schema::new("d", vec![]),
        };
        assert!(render(&repository(), "{{ .Nope }}", &subject).is_err());
    }
}
