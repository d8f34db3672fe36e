// Reads Parquet files with hyparquet, a reader independent of the Go library that writes them, and
// prints one JSON object: per file given, the compression codecs of its column chunks and its rows.
// Usage: node read.mjs FILE...
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, toJson } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'

const files = {}
for (const path of process.argv.slice(2)) {
  const file = await asyncBufferFromFile(path)
  const metadata = await parquetMetadataAsync(file)
  const codecs = new Set()
  for (const group of metadata.row_groups) {
    for (const column of group.columns) codecs.add(column.meta_data.codec)
  }
  const rows = await parquetReadObjects({ file, metadata, compressors })
  files[path] = { codecs: [...codecs].sort(), rows: toJson(rows) }
}
process.stdout.write(JSON.stringify(files) + '\n')
