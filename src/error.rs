//! One error type for the whole pipeline. Every variant renders as one sentence a person
//! understands; the CLI prints it on stderr and the page shows it in place.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum SerError {
    #[error("The file is empty.")]
    Empty,
    #[error("This is not an audio file: its content matches no audio format we read (WAV, FLAC, MP3, OGG/Vorbis).")]
    NotAudio,
    /// The codec as a person knows it ("the Speex codec"), never an internal id.
    #[error("This file uses {0}, which ser cannot decode; convert it to WAV or FLAC.")]
    UnsupportedCodec(String),
    #[error("The audio file is damaged or cut off: {0}.")]
    Corrupt(String),
    #[error("The file contains no audio samples.")]
    NoAudio,
    #[error("The sample rate {0} Hz is not supported: it must be between 8 kHz and 192 kHz.")]
    UnsupportedSampleRate(u32),
    #[error("The audio has {0} channels; at most {1} are supported.")]
    TooManyChannels(usize, usize),
    #[error("The audio contains invalid samples (NaN or infinity).")]
    InvalidSamples,
    #[error(
        "The audio contains samples far outside the range of sound (up to {0:.1e}, where full scale is 1); it is probably not a recording."
    )]
    SamplesOutOfRange(f32),
    #[error("The recording is silent: no speech found.")]
    Silent,
    #[error("The recording is too short: {got:.2} s, need at least {need:.1} s.")]
    TooShort { got: f64, need: f64 },
    #[error(
        "There is too little sound in the recording: {got:.2} s after removing silence, need at least {need:.1} s."
    )]
    TooLittleSpeech { got: f64, need: f64 },
    #[error("The recording is too long: {got:.0} s, the limit is {limit:.0} s.")]
    TooLong { got: f64, limit: f64 },
    #[error(
        "The file is too large to open here: {got_mb:.0} MB, the limit is {limit_mb:.0} MB; the ser command-line tool reads longer recordings."
    )]
    FileTooLarge { got_mb: f64, limit_mb: f64 },
    #[error("The model does not match this program's features: {0}.")]
    ModelMismatch(String),
    #[error(
        "The baseline needs at least {need:.0} s of speech; these recordings have {got:.1} s. Record a little more in your everyday voice."
    )]
    BaselineTooShort { got: f64, need: f64 },
    #[error(
        "The baseline recording is clipped: {percent:.0} % of its speech is at full scale. Record it again a little further from the microphone."
    )]
    BaselineClipped { percent: f64 },
    #[error(
        "The baseline recordings do not sound alike: {why}. Record them in the same place, with the same microphone."
    )]
    BaselineInconsistent { why: String },
    #[error("This voice baseline was made for the model {made_for}, not for {model}: make a new one with this model.")]
    BaselineModelMismatch { made_for: String, model: String },
    #[error("The model {model} cannot use a voice baseline; its results are for voices in general.")]
    BaselineUnsupported { model: String },
    #[error("This is not a voice baseline saved by ser: {0}.")]
    BaselineInvalid(String),
    #[error("The emotion model could not be loaded: {0}.")]
    ModelLoad(String),
    #[error("The emotion model failed while analysing the audio: {0}.")]
    Inference(String),
}

pub type Result<T> = std::result::Result<T, SerError>;
