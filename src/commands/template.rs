//! `nxsys-etl template`: write blank templates to fill in (xlsx or CSV), one per entity.

use anyhow::{Context as _, Result};

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
    let enums = Enums::embedded();
    let mut written = Vec::new();
    for entity in entities {
        let (ext, result) = match args.format {
            SheetFormat::Xlsx => {
                let path = args.output.join(template::file_name(entity, "xlsx"));
                let r = template::write_xlsx(entity, &enums, &path);
                (path, r)
            }
            SheetFormat::Csv => {
                let path = args.output.join(template::file_name(entity, "csv"));
                let r = template::write_csv(entity, &path);
                (path, r)
            }
        };
        result.map_err(Failure::usage)?;
        written.push(ext);
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
