// Microphone tap for the page: mixes the input to mono and posts it to the page in Float32
// chunks. All analysis (resampling included) happens in Rust; nothing else happens here.
const CHUNK = 4096;

class SerRecorder extends AudioWorkletProcessor {
  constructor() {
    super();
    this.chunk = new Float32Array(CHUNK);
    this.fill = 0;
    // The page asks for the last partial chunk when it stops recording.
    this.port.onmessage = () => this.flush();
  }

  flush() {
    if (this.fill > 0) {
      const rest = this.chunk.slice(0, this.fill);
      this.port.postMessage(rest, [rest.buffer]);
      this.fill = 0;
    }
  }

  process(inputs) {
    const input = inputs[0];
    if (input && input.length > 0) {
      const channels = input.length;
      const frames = input[0].length;
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        for (let c = 0; c < channels; c++) sum += input[c][i];
        this.chunk[this.fill++] = sum / channels;
        if (this.fill === CHUNK) {
          // Transfer, not copy: the page owns the buffer from now on.
          this.port.postMessage(this.chunk, [this.chunk.buffer]);
          this.chunk = new Float32Array(CHUNK);
          this.fill = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor('ser-recorder', SerRecorder);
