
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
namespace NS {
template <typename T> __global__ void scale(T* x, T a, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] *= a;
}
template __global__ void scale<float>(float*, float, int);
template __global__ void scale<double>(double*, double, int);
__device__ __noinline__ float helper(float v) { return v * 2.0f + 1.0f; }
__global__ void fill(float* x, float v) { x[threadIdx.x] = helper(v); }
}
extern "C" __global__ void CAT(add_one_, NS)(int* x) { x[threadIdx.x] += 1; }
