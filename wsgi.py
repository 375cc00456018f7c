from mdt import create_app

app = create_app()
