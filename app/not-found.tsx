import Link from "next/link";

export default function NotFound() {
  return (
    <div className="empty">
      <h2>Not found</h2>
      <p>There is nothing at this address. It may have been renamed or deleted.</p>
      <Link href="/" className="btn">
        Go to the start page
      </Link>
    </div>
  );
}
