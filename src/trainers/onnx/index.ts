export {
  exportGbdtToOnnx,
  type ExportGbdtOptions,
  ONNX_INPUT_NAME,
  ONNX_LABEL_OUTPUT,
  ONNX_PROBABILITIES_OUTPUT,
  ONNX_REGRESSION_OUTPUT,
  ONNX_ML_DOMAIN,
  ONNX_ML_OPSET,
  ONNX_DEFAULT_OPSET,
  ONNX_IR_VERSION,
} from './export-gbdt.ts';
export { exportLinearToOnnx, type ExportLinearOptions } from './export-linear.ts';
export { OnnxModel, type OnnxModelOptions, type OnnxValueInfo } from './onnx-model.ts';
export { encodeModel, TensorDataType, type Model, type Graph, type Node, type Attribute } from './onnx-messages.ts';
export { ProtoWriter } from './protobuf-writer.ts';
