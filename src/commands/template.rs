//! `nxsys-etl template`: write blank templates to fill in (xlsx or CSV), one per entity.

use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow};

use super::exit::{Exit, Failure};
use crate::cli::{Global, SheetFormat, TemplateArgs, TemplateEntity};
use crate::model::Entity;
use crate::rules::Enums;
use crate::schema::template;

pub fn run(global: &Global, args: TemplateArgs) -> Result<Exit> {
    let entities: Vec<Entity> = match args.entity {
        TemplateEntity::Candidates => vec![Entity::Candidates],
        TemplateEntity::CandidatesIe => vec![Entity::CandidatesIe],
        TemplateEntity::PaymentRates => vec![Entity::PaymentRates],
        TemplateEntity::Timesheets => vec![Entity::Timesheets],
        TemplateEntity::All => Entity::ALL.to_vec(),
    };
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create the folder {}", args.output.display()))
        .map_err(Failure::usage)?;
    let ext = match args.format {
        SheetFormat::Xlsx => "xlsx",
        SheetFormat::Csv => "csv",
    };
    let targets: Vec<(Entity, PathBuf)> = entities
        .into_iter()
        .map(|e| (e, args.output.join(template::file_name(e, ext))))
        .collect();
    // A template the user has filled in looks like any other: never replace one unasked.
    let existing: Vec<String> = targets
        .iter()
        .filter(|(_, path)| path.exists())
        .map(|(_, path)| path.display().to_string())
        .collect();
    if !existing.is_empty() && !args.force {
        return Err(Failure::usage(anyhow!(
            "nothing was written: {} already exist{} and may hold your rows; move {} away, \
             write elsewhere with -o DIR, or add --force to overwrite",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" },
            if existing.len() == 1 { "it" } else { "them" },
        ))
        .into());
    }
    let enums = Enums::embedded();
    let mut written = Vec::new();
    for (entity, path) in targets {
        let result = match args.format {
            SheetFormat::Xlsx => template::write_xlsx(entity, &enums, &path),
            SheetFormat::Csv => template::write_csv(entity, &path),
        };
        result.map_err(Failure::usage)?;
        written.push(path);
    }
    if global.json {
        println!("{}", serde_json::json!({ "written": written }));
    } else if !global.quiet {
        for path in &written {
            println!("Wrote {}", path.display());
        }
    }
    Ok(Exit::Ok)
}
