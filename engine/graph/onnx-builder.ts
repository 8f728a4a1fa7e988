// A small typed layer over the ONNX protobuf definitions (onnx-proto): values are names, nodes return the
// names of their outputs, so a graph reads like the forward pass it encodes.

import { onnx } from 'onnx-proto';

export const DataType = onnx.TensorProto.DataType;
export type DataType = onnx.TensorProto.DataType;
type SmallType = typeof DataType.INT64 | typeof DataType.FLOAT | typeof DataType.BOOL;

/** A dimension: a number, or a symbolic name for a dynamic one. */
export type Dim = number | string;

export type AttributeValue = number | string | readonly number[] | onnx.IGraphProto;
/** Integer attributes are written as INT; pass `{ float: x }` for a FLOAT attribute. */
export type Attributes = Record<string, AttributeValue | { readonly float: number }>;

function attribute(name: string, value: AttributeValue | { readonly float: number }): onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: A.INT, i: value } : { name, type: A.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: A.INTS, ints: [...(value as number[])] };
  if ('float' in value) return { name, type: A.FLOAT, f: (value as { float: number }).float };
  return { name, type: A.GRAPH, g: value as onnx.IGraphProto };
}

function valueInfo(name: string, type: DataType, dims: readonly Dim[] | null): onnx.IValueInfoProto {
  const shape = dims === null ? undefined : { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType: { elemType: type, shape } } };
}

export interface ExternalTensor {
  readonly name: string;
  readonly type: DataType;
  readonly dims: readonly number[];
  /** File path relative to the .onnx file. */
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(
    readonly name: string,
    /** Prefix of generated value names, so values of subgraphs never collide with the outer graph's. */
    private readonly prefix = '',
  ) {}

  /** A builder for a subgraph (If branch, Loop body) whose value names cannot collide with this one's. */
  subgraph(name: string): GraphBuilder {
    return new GraphBuilder(name, `${this.prefix}${name}_${this.counter++}/`);
  }

  /** A fresh value name, readable in error messages and profiles. */
  fresh(hint: string): string {
    return `${this.prefix}${hint}_${this.counter++}`;
  }

  input(name: string, type: DataType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: DataType, dims: readonly Dim[] | null = null): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  external(t: ExternalTensor): string {
    this.initializers.push({
      name: t.name,
      dataType: t.type,
      dims: [...t.dims],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: t.location },
        { key: 'offset', value: String(t.offset) },
        { key: 'length', value: String(t.length) },
      ],
    });
    return t.name;
  }

  /** A small constant held inline in the graph. */
  constant(type: SmallType, dims: readonly number[], values: readonly (number | boolean)[], hint = 'const'): string {
    const name = this.fresh(hint);
    this.initializers.push(this.tensorProto(name, type, dims, values));
    return name;
  }

  ints(values: readonly number[], hint = 'ints'): string {
    return this.constant(DataType.INT64, [values.length], values, hint);
  }

  scalarInt(value: number, hint = 'int'): string {
    return this.constant(DataType.INT64, [], [value], hint);
  }

  scalarFloat(value: number, hint = 'float'): string {
    return this.constant(DataType.FLOAT, [], [value], hint);
  }

  /** Adds a node and returns its single output's name. */
  op(opType: string, inputs: readonly string[], attributes: Attributes = {}, hint = opType.toLowerCase(), domain = ''): string {
    return this.opN(opType, inputs, 1, attributes, hint, domain)[0];
  }

  /** Adds a node with `outputs` outputs (or the given output names) and returns their names. */
  opN(
    opType: string,
    inputs: readonly string[],
    outputs: number | readonly string[],
    attributes: Attributes = {},
    hint = opType.toLowerCase(),
    domain = '',
  ): string[] {
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(hint)) : [...outputs];
    this.nodes.push({
      opType,
      domain,
      name: this.fresh(`${opType}`),
      input: [...inputs],
      output: names,
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
    return names;
  }

  /** Renames a value to a public output name (for graph outputs). */
  identity(value: string, name: string): string {
    return this.opN('Identity', [value], [name])[0];
  }

  graph(): onnx.IGraphProto {
    return {
      name: this.name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    };
  }

  private tensorProto(name: string, type: DataType, dims: readonly number[], values: readonly (number | boolean)[]): onnx.ITensorProto {
    const tensor: onnx.ITensorProto = { name, dataType: type, dims: [...dims] };
    if (type === DataType.INT64) tensor.int64Data = values.map(Number);
    else if (type === DataType.FLOAT) tensor.floatData = values.map(Number);
    else tensor.int32Data = values.map((v) => (v ? 1 : 0));
    return tensor;
  }
}

export function encodeModel(graph: onnx.IGraphProto, opsetVersion: number, producer: string): Uint8Array {
  return onnx.ModelProto.encode({
    // IR 10 goes with opset 21; the onnx-proto schema (onnx 1.10) has every field we write.
    irVersion: 10,
    producerName: producer,
    opsetImport: [{ domain: '', version: opsetVersion }],
    graph,
  }).finish();
}
