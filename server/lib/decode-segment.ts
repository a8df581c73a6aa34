/** A path segment decoded; one that is not valid percent-encoding is taken as written. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
