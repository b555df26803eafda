//! A loaded, validated plugin version: its compiled component, the worlds it
//! exports and a ready-to-instantiate `InstancePre`.

use super::error::LoadError;
use super::sandbox::CallState;
use super::wit::{latest, since_v0_1_0};
use super::worlds::{WIT_VERSION, WIT_VERSIONS, World, parse_bazaar_name};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, ComponentExportIndex, InstancePre, Linker, Type};

/// One exported function: where it is and what it takes.
#[derive(Clone)]
pub struct ExportedFunc {
    pub(crate) index: ComponentExportIndex,
    pub(crate) params: Vec<(String, Type)>,
    pub(crate) result: Option<Type>,
}

/// A function a plugin exports, as reported to users.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub struct FunctionInfo {
    /// The world (interface) it belongs to.
    pub world: World,
    /// The function's WIT name.
    pub name: String,
    /// Its parameter names, in order: the keys of a call's JSON input.
    pub params: Vec<String>,
}

/// A plugin version ready to be called.
pub struct Plugin {
    /// Hex sha256 of the component's bytes: the plugin version's identity.
    pub sha256: String,
    /// Size of the component in bytes.
    pub size: u64,
    /// The version of `bazaar:plugin` it was built against.
    pub wit_version: &'static str,
    /// The worlds it exports.
    pub worlds: Vec<World>,
    /// What it imports (for reports).
    pub imports: Vec<String>,
    /// Whether it was loaded from the precompiled cache.
    pub from_cache: bool,
    /// Milliseconds spent compiling or loading it.
    pub load_ms: f64,
    /// Compiled by the optimizing compiler (Cranelift); false while a
    /// baseline-compiled (Winch) stand-in serves it.
    pub optimized: bool,
    pub(crate) pre: InstancePre<CallState>,
    pub(crate) exports: BTreeMap<(World, String), ExportedFunc>,
    /// The typed bindings of the interfaces it exports, of its version.
    pub(crate) guests: Guests,
}

/// The typed bindings of a plugin's exports, in the version it was built
/// against.
#[derive(Clone)]
pub(crate) enum Guests {
    /// `bazaar:plugin@0.1.0`, called through its forwarding.
    V0_1(since_v0_1_0::Guests),
    /// The latest version.
    Latest(latest::Guests),
}

impl Guests {
    fn of(version: &str) -> Guests {
        if version == since_v0_1_0::VERSION {
            Guests::V0_1(Default::default())
        } else {
            Guests::Latest(Default::default())
        }
    }

    fn link(&mut self, world: World, pre: &InstancePre<CallState>) -> wasmtime::Result<()> {
        match self {
            Guests::V0_1(g) => g.link(world, pre),
            Guests::Latest(g) => g.link(world, pre),
        }
    }
}

/// The one version of `bazaar:plugin` among a component's import and export
/// names; mixing two is refused, as is a version this host does not know.
fn version_of<'a>(names: impl Iterator<Item = &'a str>) -> Result<&'static str, LoadError> {
    let mut found: Option<&'static str> = None;
    for name in names {
        let Some((_, version)) = parse_bazaar_name(name) else {
            continue;
        };
        let Some(known) = WIT_VERSIONS.iter().find(|v| **v == version) else {
            return Err(LoadError::UnsupportedVersion {
                name: name.to_string(),
                supported: WIT_VERSIONS.join(", "),
            });
        };
        match found {
            Some(f) if f != *known => {
                return Err(LoadError::Invalid {
                    reason: format!(
                        "`{name}` is of bazaar:plugin@{known} but the component also uses @{f}; \
                         build against one version"
                    ),
                });
            }
            _ => found = Some(known),
        }
    }
    Ok(found.unwrap_or(WIT_VERSION))
}

impl Plugin {
    /// The engine it was compiled by, which its stores must belong to.
    pub(crate) fn engine(&self) -> &Engine {
        self.pre.engine()
    }

    /// The functions it exports.
    pub fn functions(&self) -> Vec<FunctionInfo> {
        self.exports
            .iter()
            .map(|((world, name), f)| FunctionInfo {
                world: *world,
                name: name.clone(),
                params: f.params.iter().map(|(n, _)| n.clone()).collect(),
            })
            .collect()
    }

    pub(crate) fn export(&self, world: World, function: &str) -> Option<&ExportedFunc> {
        self.exports.get(&(world, function.to_string()))
    }

    /// Whether the plugin exports `function` in `world`.
    pub fn exports(&self, world: World, function: &str) -> bool {
        self.export(world, function).is_some()
    }
}

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Rejects obviously wrong bytes before handing them to the compiler, with a
/// message a seller can act on.
pub fn precheck(bytes: &[u8], limit: u64) -> Result<(), LoadError> {
    let size = bytes.len() as u64;
    if size > limit {
        return Err(LoadError::TooLarge { size, limit });
    }
    match bytes.get(0..8) {
        Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => Err(LoadError::CoreModule),
        Some([0, b'a', b's', b'm', _, _, 1, 0]) => Ok(()),
        _ => Err(LoadError::Invalid {
            reason: "missing the `\\0asm` component header".into(),
        }),
    }
}

/// The refusal of an import the host does not provide, with a hint on how
/// to build without it where there is one.
fn missing(name: &str) -> LoadError {
    LoadError::MissingImport {
        name: name.to_string(),
        hint: super::error::import_hint(name),
    }
}

/// Checks a compiled component's imports and exports against what this host
/// provides and builds its [`Plugin`].
pub fn link(
    engine: &Engine,
    linker: &Linker<CallState>,
    component: Component,
    sha256: String,
    size: u64,
) -> Result<Plugin, LoadError> {
    let ty = component.component_type();
    let imports: Vec<String> = ty.imports(engine).map(|(n, _)| n.to_string()).collect();
    let export_names: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
    let wit_version = version_of(
        imports
            .iter()
            .chain(export_names.iter())
            .map(String::as_str),
    )?;
    for name in &imports {
        match parse_bazaar_name(name) {
            Some(("types" | "host" | "kv" | "config", _)) => {}
            Some(_) => return Err(missing(name)),
            None if name.starts_with("wasi:") => {}
            None => return Err(missing(name)),
        }
    }
    let pre = linker.instantiate_pre(&component).map_err(|e| {
        let text = format!("{e:#}");
        match imports.iter().find(|n| text.contains(n.as_str())) {
            Some(name) => missing(name),
            None => LoadError::Invalid { reason: text },
        }
    })?;

    let mut worlds = Vec::new();
    let mut exports = BTreeMap::new();
    let mut guests = Guests::of(wit_version);
    for (name, item) in ty.exports(engine) {
        let Some((iface, _)) = parse_bazaar_name(name) else {
            continue;
        };
        let Some(world) = World::parse(iface) else {
            continue;
        };
        // The generated bindings check the signatures against the WIT itself.
        guests
            .link(world, &pre)
            .map_err(|e| LoadError::SignatureMismatch {
                name: name.to_string(),
                reason: format!("{e:#}"),
            })?;
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            continue;
        };
        let iface_index = component
            .get_export_index(None, name)
            .expect("export listed by the component's own type");
        for (fname, fitem) in instance.exports(engine) {
            let ComponentItem::ComponentFunc(func) = fitem.ty else {
                continue;
            };
            let index = component
                .get_export_index(Some(&iface_index), fname)
                .expect("function listed by the component's own type");
            exports.insert(
                (world, fname.to_string()),
                ExportedFunc {
                    index,
                    params: func.params().map(|(n, t)| (n.to_string(), t)).collect(),
                    result: func.results().next(),
                },
            );
        }
        worlds.push(world);
    }
    if worlds.is_empty() {
        return Err(LoadError::NoWorlds {
            supported: WIT_VERSIONS.join(", "),
        });
    }
    worlds.sort();
    Ok(Plugin {
        sha256,
        size,
        wit_version,
        worlds,
        imports,
        from_cache: false,
        load_ms: 0.0,
        optimized: true,
        pre,
        exports,
        guests,
    })
}
