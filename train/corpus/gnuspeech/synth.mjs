// Synthesises a batch of words with Gnuspeech (articulatory TTS, WebAssembly) for the corpus.
//
//   node synth.mjs jobs.json
//
// jobs.json: [{"text": "seven", "out": "/abs/path.wav", "voice": "male",
//              "tract": {...}, "trm": {...}, "control": {...}, "tone": [notional, pretonic, tonic]}]
// "tract", "trm" and "control" override keys of the package's voice_<voice>.txt, trm.txt and
// trm_control_model.txt; "tone" replaces the statement tone group of intonation.txt. Each
// output is the engine's own 16-bit WAV at its own rate (22050 or 44100 Hz).
//
// The package's synthesize() only exposes voice, tempo and control rate, and keeps its module
// private. Its module, though, reads every parameter from text files in an in-memory file
// system, so we load that same module, rewrite the files per job and call the exported C entry
// point that synthesize() calls. One module serves the whole batch: creating it costs more than
// a word.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const pkgDir = dirname(require.resolve('@echogarden/gnuspeech-wasm/package.json'))
const { default: createModule } = await import(join(pkgDir, 'wasm', 'gnuspeech.js'))
const DATA = '/data/en'

const m = await createModule()
const pristine = (name) => m.FS.readFile(`${DATA}/${name}`, { encoding: 'utf8' })
const original = {
  trm: pristine('trm.txt'),
  control: pristine('trm_control_model.txt'),
  intonation: pristine('intonation.txt'),
}
const voices = {}

// Replaces "key = value" lines; an unknown key is an error, since the engine would ignore it.
function setKeys(text, values, what) {
  for (const [key, value] of Object.entries(values || {})) {
    const re = new RegExp(`^${key}\\s*=.*$`, 'm')
    if (!re.test(text)) throw new Error(`${what}: no key ${key}`)
    text = text.replace(re, `${key} = ${value}`)
  }
  return text
}

// The first statement line of intonation.txt holds the contour used when intonation is not
// randomised: columns B (notional pitch), C (pretonic range) and F (tonic range), semitones.
function setTone(text, tone) {
  if (!tone) return text
  const lines = text.split('\n')
  const tg = lines.findIndex((l) => l.startsWith('TG'))
  const cols = lines[tg + 1].trim().split(/\s+/)
  ;[cols[1], cols[2], cols[5]] = tone.map((v) => v.toFixed(2))
  lines[tg + 1] = cols.join(' ')
  return lines.join('\n')
}

function cString(s) {
  const bytes = new TextEncoder().encode(s + '\0')
  const ptr = m._malloc(bytes.length)
  m.HEAPU8.set(bytes, ptr)
  return ptr
}

function synthOne(job) {
  const v = job.voice
  voices[v] ??= pristine(`voice_${v}.txt`)
  m.FS.writeFile(`${DATA}/voice_corpus.txt`, setKeys(voices[v], job.tract, `voice_${v}`))
  m.FS.writeFile(`${DATA}/trm.txt`, setKeys(original.trm, job.trm, 'trm'))
  // The engine draws random intonation from std::random_device: off, so a clip is a function of
  // its parameters; the caller varies the contour through "tone" instead.
  const control = { ...job.control, voice_name: 'corpus', random_intonation: 0 }
  m.FS.writeFile(`${DATA}/trm_control_model.txt`, setKeys(original.control, control, 'control'))
  m.FS.writeFile(`${DATA}/intonation.txt`, setTone(original.intonation, job.tone))
  const args = [job.text, '/out.wav', DATA, '/out-params.txt'].map(cString)
  try {
    const rc = m._GnuSpeech_synthesizeToFile(...args, 0)
    if (rc !== 0) throw new Error(`gnuspeech failed on ${JSON.stringify(job.text)} (${v})`)
  } finally {
    args.forEach((p) => m._free(p))
  }
  writeFileSync(job.out, m.FS.readFile('/out.wav'))
  m.FS.unlink('/out.wav')
  m.FS.unlink('/out-params.txt')
}

for (const job of JSON.parse(readFileSync(process.argv[2], 'utf8'))) synthOne(job)
