// make-model marks the weights it writes in model.safetensors's metadata; the engine reads the mark so
// that every view and the CLI can say plainly that such a model's weights are random.
export const GENERATED_METADATA_KEY = 'glassbox.generated';
