"""Command-line interface: `bookshelf add ISBN`, `bookshelf find QUERY`, ..."""

import click

from .openlibrary import MetadataError, OpenLibraryClient
from .query import filter_books
from .recommend import recommend, top_authors
from .storage import ShelfStore
from .text import author_sort_key


def format_book(book):
    """One line per book: title, authors, year and tags."""
    authors = ", ".join(sorted(book.authors, key=author_sort_key)) or "unknown author"
    tags = f" [{', '.join(sorted(book.tags))}]" if book.tags else ""
    return f"{book.title} - {authors} ({book.year or 'n.d.'}){tags}"


@click.group()
@click.option("--root", default="~/.bookshelf", show_default=True, help="Where shelves are stored.")
@click.option("--shelf", "shelf_name", default="main", show_default=True, help="Which shelf to use.")
@click.pass_context
def cli(ctx, root, shelf_name):
    """Manage a personal library catalogue."""
    import os

    store = ShelfStore(os.path.expanduser(root))
    ctx.obj = {"store": store, "shelf": store.load(shelf_name)}


@cli.command()
@click.argument("isbn")
@click.option("--tag", "tags", multiple=True, help="Tag to attach; repeatable.")
@click.pass_context
def add(ctx, isbn, tags):
    """Look up ISBN and add the book to the shelf."""
    try:
        book = OpenLibraryClient().fetch_book(isbn)
    except (MetadataError, ValueError) as exc:
        raise click.ClickException(str(exc))
    for tag in tags:
        book.add_tag(tag)
    ctx.obj["shelf"].add(book)
    ctx.obj["store"].save(ctx.obj["shelf"])
    click.echo(f"added {format_book(book)}")


@cli.command()
@click.argument("query", nargs=-1, required=True)
@click.pass_context
def find(ctx, query):
    """List the books that match a query such as `tag:scifi and year>1970`."""
    try:
        books = filter_books(ctx.obj["shelf"], " ".join(query))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="QUERY")
    for book in books:
        click.echo(format_book(book))
    if not books:
        click.secho("no match", fg="yellow", err=True)


@cli.command()
@click.argument("isbns", nargs=-1, required=True)
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 50))
@click.pass_context
def suggest(ctx, isbns, limit):
    """Suggest books like the given ones."""
    for book in recommend(ctx.obj["shelf"], isbns, limit=limit):
        click.echo(format_book(book))


@cli.command()
@click.pass_context
def stats(ctx):
    """Show how many books the shelf holds, its average rating and top authors."""
    shelf = ctx.obj["shelf"]
    click.echo(f"{len(shelf)} books, average rating {shelf.average_rating():.1f}")
    for name in top_authors(shelf):
        click.echo(f"  {name}")


if __name__ == "__main__":
    cli()
