// Stand-in for sharp in bundles. transformers.js needs sharp only for images and refuses to load in Node
// when its import is falsy, so this is a function that explains itself if anything ever calls it.
module.exports = function sharp() {
  throw new Error('Glassbox does not process images (sharp is not bundled).');
};
