//! What `ser predict` and `ser features` read: files, folders walked recursively, and `-` for
//! standard input. Whether a file is audio is decided by decoding it, never by its name.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use ser::audio::SourceStats;
use ser::{Analysis, Loader, PipelineOptions, SerError, analyse_loaded};
use symphonia::core::io::{MediaSource, ReadOnlySource};

/// Where one input's bytes come from.
pub enum Source {
    File(PathBuf),
    Stdin,
    /// A folder entry that could not be listed: reported in its place in the order.
    Unlisted(String),
}

pub struct Input {
    pub source: Source,
    /// Found by walking a folder, rather than named on the command line: such a file that is
    /// not audio is skipped with a note, since folders of recordings also hold notes and images.
    pub walked: bool,
    /// How results and messages name it: the path as given (or under the folder given), or `-`.
    pub name: String,
    /// The file's path under the output folder, without extension, for formats that need one
    /// output file per input: the path under the folder walked, or the file's stem.
    pub out_stem: PathBuf,
}

impl Input {
    pub fn file(path: &Path) -> Self {
        let stem = path.file_stem().map_or_else(|| PathBuf::from("audio"), PathBuf::from);
        Input {
            source: Source::File(path.to_path_buf()),
            walked: false,
            name: path.display().to_string(),
            out_stem: stem,
        }
    }

    fn stdin() -> Self {
        Input { source: Source::Stdin, walked: false, name: "-".into(), out_stem: PathBuf::from("stdin") }
    }
}

/// An input that failed: the sentence for it, and whether the cause is that it is not audio.
#[derive(Debug)]
pub struct FileError {
    pub message: String,
    pub not_audio: bool,
}

impl FileError {
    pub fn other(message: String) -> Self {
        FileError { message, not_audio: false }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<FileError> for String {
    fn from(e: FileError) -> String {
        e.message
    }
}

/// The sentence for a pipeline error in the input called `name`.
pub fn in_file(name: &str) -> impl Fn(SerError) -> FileError + '_ {
    move |e| FileError { not_audio: matches!(e, SerError::NotAudio | SerError::Empty), message: format!("{name}: {e}") }
}

/// The inputs named on the command line, in order, with folders replaced by the files under
/// them (sorted by name at each level; hidden files and folders left out, as ripgrep does,
/// so `.DS_Store` and `._x.m4a` do not show up as errors).
pub fn expand(args: &[PathBuf]) -> Result<Vec<Input>, String> {
    let mut inputs = Vec::new();
    let mut stdin_seen = false;
    for arg in args {
        if arg.as_os_str() == "-" {
            if stdin_seen {
                return Err("Standard input (-) can be read only once.".into());
            }
            stdin_seen = true;
            inputs.push(Input::stdin());
        } else if arg.is_dir() {
            let before = inputs.len();
            walk(arg, &mut inputs);
            if inputs.len() == before {
                inputs.push(Input {
                    source: Source::Unlisted(format!("{}: this folder holds no files.", arg.display())),
                    walked: false,
                    name: arg.display().to_string(),
                    out_stem: PathBuf::new(),
                });
            }
        } else {
            inputs.push(Input::file(arg));
        }
    }
    Ok(inputs)
}

fn walk(root: &Path, inputs: &mut Vec<Input>) {
    let hidden = |e: &walkdir::DirEntry| e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
    let walker = walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name().into_iter();
    for entry in walker.filter_entry(|e| !hidden(e)) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                let why = if e.loop_ancestor().is_some() {
                    "a link back to a folder above it".to_string()
                } else {
                    e.io_error().map_or_else(|| e.to_string(), describe_io)
                };
                inputs.push(Input {
                    source: Source::Unlisted(format!("{}: cannot read this folder entry ({why}).", path.display())),
                    walked: true,
                    name: path.display().to_string(),
                    out_stem: PathBuf::new(),
                });
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap_or(path);
        inputs.push(Input {
            source: Source::File(path.to_path_buf()),
            walked: true,
            name: path.display().to_string(),
            out_stem: relative.with_extension(""),
        });
    }
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn cannot_read(path: &Path, e: std::io::Error) -> String {
    format!("{}: cannot read the file ({}).", path.display(), describe_io(&e))
}

/// Reads a file into memory, with a sentence for the usual failures.
pub fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    if path.is_dir() {
        return Err(format!("{}: this is a folder, not an audio file.", path.display()));
    }
    std::fs::read(path).map_err(|e| cannot_read(path, e))
}

/// Opens an audio file for streaming, with a sentence for the usual failures.
pub fn open_file(path: &Path) -> Result<std::fs::File, FileError> {
    if path.is_dir() {
        return Err(FileError::other(format!("{}: this is a folder, not an audio file.", path.display())));
    }
    let file = std::fs::File::open(path).map_err(|e| FileError::other(cannot_read(path, e)))?;
    match file.metadata() {
        Ok(m) if m.len() == 0 => Err(in_file(&path.display().to_string())(SerError::Empty)),
        _ => Ok(file),
    }
}

/// The most of an MP4 stream held in memory from standard input (an hour of AAC at 256 kbit/s
/// is about 115 MB); anything beyond reads as a file cut off there.
const MAX_STDIN_MP4_BYTES: u64 = 1 << 30;

impl Input {
    /// The input's bytes as a stream. Standard input is read as it comes, never held whole.
    pub fn open(&self) -> Result<Box<dyn MediaSource>, FileError> {
        match &self.source {
            Source::File(path) => Ok(Box::new(open_file(path)?)),
            Source::Stdin => {
                // Said as for an empty file, rather than as a file cut off before its audio.
                let mut first = Vec::new();
                std::io::stdin()
                    .take(64 * 1024)
                    .read_to_end(&mut first)
                    .map_err(|e| FileError::other(format!("-: cannot read standard input ({e}).")))?;
                if first.is_empty() {
                    return Err(in_file(&self.name)(SerError::Empty));
                }
                // MP4 (M4A) keeps its index wherever the writer put it, often at the end, so
                // its reader must seek: such a stream is held in memory (a phone's voice memo
                // is a few MB). Everything else streams.
                if first.get(4..8) == Some(b"ftyp") {
                    std::io::stdin()
                        .take(MAX_STDIN_MP4_BYTES)
                        .read_to_end(&mut first)
                        .map_err(|e| FileError::other(format!("-: cannot read standard input ({e}).")))?;
                    return Ok(Box::new(std::io::Cursor::new(first)));
                }
                Ok(Box::new(ReadOnlySource::new(std::io::Cursor::new(first).chain(std::io::stdin()))))
            }
            Source::Unlisted(message) => Err(FileError::other(message.clone())),
        }
    }

    /// Whether the input can be read again from its start (what recordings too long to hold in
    /// memory need, see [`ser::pipeline::analyse_long`]).
    pub fn reopenable(&self) -> bool {
        matches!(self.source, Source::File(_))
    }
}

/// A file decoded for the in-memory pipeline, or the length that keeps it out.
pub enum Loaded {
    /// The recording at the analysis rate, and what it was before (for the quality report).
    Signal(Vec<f32>, SourceStats),
    /// Longer than `options.limits` allows in memory (see [`ser::pipeline::analyse_long`]).
    TooLong { seconds: f64 },
}

/// Decodes an input to the analysis rate, streaming it.
pub fn load(input: &Input, options: &PipelineOptions) -> Result<Loaded, FileError> {
    let loaded = load_any(input, options)?;
    match loaded {
        Loaded::TooLong { seconds } if !input.reopenable() => Err(FileError::other(format!(
            "{}: the recording is {seconds:.0} s long, and ser reads recordings over {:.0} s only from a file, in several passes; save it to a file first.",
            input.name, options.limits.max_seconds
        ))),
        loaded => Ok(loaded),
    }
}

fn load_any(input: &Input, options: &PipelineOptions) -> Result<Loaded, FileError> {
    let in_file = in_file(&input.name);
    let loader = Loader::new(input.open()?, options).map_err(&in_file)?;
    if let Some(seconds) = loader.expected_seconds().filter(|&s| s > options.limits.max_seconds) {
        return Ok(Loaded::TooLong { seconds });
    }
    match loader.finish_with_source() {
        Ok((signal, source)) => Ok(Loaded::Signal(signal, source)),
        Err(SerError::TooLong { got, .. }) => Ok(Loaded::TooLong { seconds: got }),
        Err(e) => Err(in_file(e)),
    }
}

/// Analyses an input that fits in memory.
pub fn analyse(input: &Input, options: &PipelineOptions) -> Result<Analysis, FileError> {
    match load(input, options)? {
        Loaded::Signal(signal, source) => analyse_loaded(signal, source, options).map_err(in_file(&input.name)),
        Loaded::TooLong { seconds } => {
            Err(in_file(&input.name)(SerError::TooLong { got: seconds, limit: options.limits.max_seconds }))
        }
    }
}
